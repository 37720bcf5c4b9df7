"""`python -m regtrail.analyst`: read-only questions to the published warehouse."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from regtrail import settings
from regtrail.analyst import db, output, queries

CLOCK_HELP = ("--as-of DATE: what regtrail knew on DATE (observed_at on or before it); "
              "--valid-on DATE: what the regulator had published by DATE (event_date on or before it)")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from error


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--warehouse", type=Path, help="warehouse file (default $REGTRAIL_HOME/warehouse.duckdb)")
    common.add_argument("--format", choices=output.FORMATS, default="table", help="output format (default table)")
    clock = argparse.ArgumentParser(add_help=False)
    clock.add_argument("--as-of", type=_date, metavar="DATE", help="knowledge clock: what we knew on DATE")
    clock.add_argument("--valid-on", type=_date, metavar="DATE", help="valid-time clock: what was published by DATE")

    main = argparse.ArgumentParser(prog="python -m regtrail.analyst", description=__doc__, epilog=CLOCK_HELP)
    commands = main.add_subparsers(dest="command", required=True)
    timeline = commands.add_parser("timeline", parents=[common, clock], help="an entity's timeline")
    timeline.add_argument("entity", help="part of the Chinese name (or English name, alias, group where known)")
    batches = commands.add_parser("batches", parents=[common, clock], help="published lists with counts and dates")
    batches.add_argument("--list-type", help="only this list type, e.g. deep_synthesis")
    filing = commands.add_parser("filing", parents=[common, clock], help="one filing and its history")
    filing.add_argument("number", help="备案编号 (or a unique part of it)")
    report = commands.add_parser("report", help="write the static HTML timeline report")
    report.add_argument("--warehouse", type=Path, help="warehouse file (default $REGTRAIL_HOME/warehouse.duckdb)")
    report.add_argument("--out", type=Path, help="output file (default $REGTRAIL_HOME/report/index.html)")
    return main


def run_timeline(con, args, out) -> int:
    clock = queries.Clock(args.as_of, args.valid_on)
    entities, events = queries.timeline(con, args.entity, clock)
    if args.format != "table":
        output.emit(events, args.format, queries.TIMELINE_COLUMNS, stream=out)
        return 0 if entities or events else 1
    if not entities and not events:
        print(f"no entity matches {args.entity!r}", file=sys.stderr)
        return 1
    term = output.console(out)
    term.print(output.table(output.drop_empty(entities), title=f"entities matching {args.entity!r}"))
    columns = ["event_date", "event_type", "filing_number", "algorithm_name", "list_id", "date_basis", "observed_at"]
    if len({e["entity_name"] for e in events}) > 1:
        columns.insert(2, "entity_name")
    shown = [{**e, "note": "" if e["event_type"] == "filing_listed" else e["description"]} for e in events]
    title = f"timeline: {len(events)} events" + _clock_note(clock)
    term.print(output.table(shown, columns + ["note"], title=title))
    return 0


def run_batches(con, args, out) -> int:
    clock = queries.Clock(args.as_of, args.valid_on)
    rows = queries.batches(con, clock, args.list_type)
    columns = None
    if args.format == "table":
        columns = ["list_type", "batch_label", "published_at", "status", "parsed_rows", "expected_count",
                   "reconciled", "new_filings", "changed", "cancelled", "first_observed_at", "failure_kind"]
    output.emit(rows, args.format, columns, title=f"{len(rows)} lists" + _clock_note(clock), stream=out)
    return 0


def run_filing(con, args, out) -> int:
    clock = queries.Clock(args.as_of, args.valid_on)
    matches = queries.resolve_filing(con, args.number)
    if len(matches) != 1:
        print(f"{len(matches) or 'no'} filings match {args.number!r}" + (": " + ", ".join(matches) if matches else ""),
              file=sys.stderr)
        return 1
    summary, history = queries.filing(con, matches[0], clock)
    if args.format == "json":
        output.emit_json({"filing": summary, "history": history}, stream=out)
    elif args.format == "csv":
        output.emit([{"filing_number": summary["filing_number"], **e} for e in history], "csv", stream=out)
    else:
        term = output.console(out)
        fields = [{"field": k, "value": v} for k, v in summary.items()]
        term.print(output.table(fields, title=f"filing {summary['filing_number']}" + _clock_note(clock)))
        columns = ["event_date", "event_type", "list_id", "date_basis", "observed_at", "entity_name", "description"]
        term.print(output.table(history, columns, title=f"history: {len(history)} events"))
    return 0


def run_report(args, out) -> int:
    from regtrail.analyst import report

    target = args.out or settings.home() / "report" / "index.html"
    with db.connect(args.warehouse) as con:
        path = report.write_report(con, target)
    print(f"report written to {path}", file=out)
    return 0


def _clock_note(clock: queries.Clock) -> str:
    parts = [f"as of {clock.as_of}" if clock.as_of else "", f"valid on {clock.valid_on}" if clock.valid_on else ""]
    return "".join(f" ({p})" for p in parts if p)


def main(argv: list[str] | None = None, out=None) -> int:
    args = parser().parse_args(argv)
    out = out or sys.stdout
    try:
        if args.command == "report":
            return run_report(args, out)
        with db.connect(args.warehouse) as con:
            return {"timeline": run_timeline, "batches": run_batches, "filing": run_filing}[args.command](
                con, args, out)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
