"""Rows to the terminal: rich tables, CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from typing import IO, Any

from rich.console import Console
from rich.table import Table

FORMATS = ("table", "csv", "json")
NO_WRAP = {"event_date", "event_type", "filing_number", "list_id", "observed_at", "published_at", "batch_label",
           "first_observed_at", "list_type", "field"}


def plain(value: Any) -> Any:
    """JSON/CSV-friendly value: dates as ISO strings, lists kept, everything else as is."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def cell(value: Any) -> str:
    """Text of one table cell."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def console(stream: IO[str] | None = None) -> Console:
    """A console that does not squeeze wide Chinese text into 80 columns when piped."""
    stream = stream or sys.stdout
    interactive = stream.isatty()
    return Console(file=stream, width=None if interactive else 200, soft_wrap=False, highlight=False)


def table(rows: list[dict], columns: list[str] | None = None, title: str | None = None) -> Table:
    """A rich table of rows (columns default to the keys of the first row)."""
    columns = columns or (list(rows[0]) if rows else [])
    result = Table(title=title, title_justify="left", show_lines=False, header_style="bold")
    for name in columns:
        result.add_column(name, overflow="fold", no_wrap=name in NO_WRAP)
    for row in rows:
        result.add_row(*(cell(row.get(c)) for c in columns))
    return result


def drop_empty(rows: list[dict]) -> list[dict]:
    """The rows without the columns that are empty in every row."""
    keep = [k for k in (rows[0] if rows else {}) if any(r.get(k) not in (None, "", []) for r in rows)]
    return [{k: r.get(k) for k in keep} for r in rows]


def emit(rows: list[dict], fmt: str, columns: list[str] | None = None, title: str | None = None,
         stream: IO[str] | None = None) -> None:
    """Print rows in the chosen format."""
    stream = stream or sys.stdout
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "json":
        stream.write(json.dumps([{c: plain(r.get(c)) for c in columns} for r in rows], ensure_ascii=False,
                                indent=2) + "\n")
    elif fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["|".join(map(str, v)) if isinstance(v, list) else plain(v)
                             for v in (row.get(c) for c in columns)])
    else:
        console(stream).print(table(rows, columns, title))


def emit_json(document: Any, stream: IO[str] | None = None) -> None:
    """Print one JSON document."""
    (stream or sys.stdout).write(json.dumps(document, ensure_ascii=False, indent=2, default=plain) + "\n")
