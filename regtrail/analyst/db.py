"""Read-only connections to the published warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb

from regtrail import settings


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only (default `$REGTRAIL_HOME/warehouse.duckdb`), dates in UTC."""
    path = Path(path) if path else settings.warehouse_path()
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `make demo` or the regtrail_warehouse DAG first")
    con = duckdb.connect(str(path), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    return con


def columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> type of a table in the main schema (empty when the table does not exist)."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'main' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    return dict(rows)


def records(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """Run a query and return its rows as dicts."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
