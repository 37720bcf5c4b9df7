"""Read-only questions to the published warehouse: what `regtrail timeline|batches|filing|regions|report` run."""

from __future__ import annotations

import sys

from regtrail import settings
from regtrail.analyst import db, output, queries
from regtrail.analyst.safe import visible


def run_timeline(con, args, out) -> int:
    clock = queries.Clock(args.as_of, args.valid_on)
    entities, events = queries.timeline(con, args.entity, clock, getattr(args, "event_type", None))
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
    genai = queries.genai_reconciliation(con, clock) if args.list_type in (None, "genai_service") else []
    genai_title = f"{len(genai)} generative-AI lists against the official totals" + _clock_note(clock)
    if args.list_type == "genai_service":
        columns = queries.GENAI_COLUMNS if args.format == "table" else None
        output.emit(genai, args.format, columns, title=genai_title, stream=out)
        return 0
    rows = queries.batches(con, clock, args.list_type)
    columns = None
    if args.format == "table":
        columns = ["list_type", "batch_label", "published_at", "status", "parsed_rows", "expected_count",
                   "reconciled", "new_filings", "changed", "cancelled", "news", "first_observed_at", "failure_kind"]
    output.emit(rows, args.format, columns, title=f"{len(rows)} lists" + _clock_note(clock), stream=out)
    if args.format == "table" and genai:
        output.emit(genai, "table", queries.GENAI_COLUMNS, title=genai_title, stream=out)
    return 0


def run_filing(con, args, out) -> int:
    clock = queries.Clock(args.as_of, args.valid_on)
    matches, total = queries.resolve_filing(con, args.number)
    if total != 1:
        print(match_message(args.number, matches, total), file=sys.stderr)
        return 1
    summary, history = queries.filing(con, matches[0], clock)
    if args.format == "json":
        output.emit_json({"filing": summary, "history": history}, stream=out)
    elif args.format == "csv":
        number = summary.get("filing_number") or summary.get("genai_number")
        output.emit([{"filing_number": number, **e} for e in history], "csv", stream=out)
    else:
        term = output.console(out)
        fields = [{"field": k, "value": v} for k, v in summary.items()]
        number = summary.get("filing_number") or summary.get("genai_number")
        term.print(output.table(fields, title=f"filing {number}" + _clock_note(clock)))
        columns = ["event_date", "event_type", "list_id", "date_basis", "observed_at", "entity_name", "description"]
        term.print(output.table(history, columns, title=f"history: {len(history)} events"))
    return 0


def match_message(query: str, shown: list[str], total: int) -> str:
    """What `filing` says unless exactly one number matches: the true count, and which of them are named."""
    if not total:
        return f"no filing or approval number contains {query!r}"
    named = ", ".join(visible(n) for n in shown)
    part = f"all {total:,} shown" if len(shown) == total else f"showing {len(shown)} of {total:,}"
    return f"{total:,} filing or approval numbers contain {query!r} ({part}; give more of one): {named}"


def run_regions(con, args, out) -> int:
    clock = queries.Clock(args.as_of, args.valid_on)
    rows = queries.regions(con, clock)
    output.emit(rows, args.format, title=f"{len(rows)} provinces" + _clock_note(clock), stream=out)
    return 0


def run_report(args, out) -> int:
    from regtrail.analyst import report

    target = args.out or settings.home() / "report" / "index.html"
    with db.connect(args.warehouse) as con:
        path = report.write_report(con, target, queries.Clock(args.as_of, args.valid_on))
    print(f"report written to {path}", file=out)
    return 0


def _clock_note(clock: queries.Clock) -> str:
    parts = [f"as of {clock.as_of}" if clock.as_of else "", f"valid on {clock.valid_on}" if clock.valid_on else ""]
    return "".join(f" ({p})" for p in parts if p)
