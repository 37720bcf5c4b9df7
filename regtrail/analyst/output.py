"""Rows to the terminal: rich tables, CSV or JSON, printed literally (`regtrail.analyst.safe`).

Cell data is never read as rich markup; control, escape and bidirectional characters are shown as visible
escapes in tables and CSV (and as `\\uXXXX` in JSON, the same value once parsed); a CSV cell that begins
with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` (the OWASP rule against formula injection).
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from typing import IO, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from regtrail.analyst.safe import csv_cell, json_text, visible

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
    """Text of one table cell, with control and escape characters made visible."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return visible(", ".join(str(v) for v in value))
    return visible(str(value))


def literal(text: str) -> Text:
    """Text rich prints as it is (no markup, no emoji codes), control characters made visible."""
    return Text(visible(text))


def console(stream: IO[str] | None = None) -> Console:
    """A console that does not squeeze wide Chinese text into 80 columns when piped."""
    stream = stream or sys.stdout
    interactive = stream.isatty()
    return Console(file=stream, width=None if interactive else 200, soft_wrap=False, highlight=False, markup=False,
                   emoji=False)


def table(rows: list[dict], columns: list[str] | None = None, title: str | None = None) -> Table:
    """A rich table of rows (columns default to the keys of the first row)."""
    columns = columns or (list(rows[0]) if rows else [])
    result = Table(title=literal(title) if title else None, title_justify="left", show_lines=False,
                   header_style="bold")
    for name in columns:
        result.add_column(literal(name), overflow="fold", no_wrap=name in NO_WRAP)
    for row in rows:
        result.add_row(*(Text(cell(row.get(c))) for c in columns))
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
        stream.write(json_text(json.dumps([{c: plain(r.get(c)) for c in columns} for r in rows],
                                          ensure_ascii=False, indent=2)) + "\n")
    elif fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([csv_cell(c) for c in columns])
        for row in rows:
            writer.writerow([csv_cell("|".join(map(str, v)) if isinstance(v, list) else plain(v))
                             for v in (row.get(c) for c in columns)])
    else:
        console(stream).print(table(rows, columns, title))


def emit_json(document: Any, stream: IO[str] | None = None) -> None:
    """Print one JSON document."""
    text = json.dumps(document, ensure_ascii=False, indent=2, default=plain)
    (stream or sys.stdout).write(json_text(text) + "\n")
