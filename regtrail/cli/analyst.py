"""Analyst commands, read-only on the published warehouse: `timeline`, `batches`, `filing`, `regions`, `report`.

The work is done by `regtrail.analyst.cli` (imported when a command runs, with DuckDB); the output
stream is `sys.stdout` unless the caller passes another as `obj={"out": stream}`.
"""

from __future__ import annotations

import sys
from argparse import Namespace
from datetime import date
from pathlib import Path
from typing import IO, Annotated, Literal

import typer

FormatName = Literal["table", "csv", "json"]  # regtrail.analyst.output.FORMATS (kept import-free for --help)
CLOCK_HELP = ("--as-of DATE: what regtrail knew on DATE (observed_at on or before it); "
              "--valid-on DATE: what the regulator had published by DATE (event_date on or before it). "
              "Either way a list published after DATE does not exist yet and every count is counted as of "
              "DATE, in timeline, batches, filing, regions and report alike. "
              "Exit 2 when the warehouse file is missing.")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {text}") from None


Warehouse = Annotated[Path | None, typer.Option(
    help="warehouse file (default $REGTRAIL_HOME/warehouse.duckdb)", show_default=False)]
Format = Annotated[FormatName, typer.Option("--format", help=(
    "output format. Data is printed literally: control and escape characters appear as visible escapes "
    "(\\x1b; in json as \\u001b, the same value once parsed); in csv a cell beginning with = + - @ tab or CR "
    "gets a leading ' so a spreadsheet reads it as text (formula injection, the OWASP rule)"))]
AsOf = Annotated[date | None, typer.Option(
    parser=_date, metavar="DATE", help="knowledge clock: what we knew on DATE", show_default=False)]
ValidOn = Annotated[date | None, typer.Option(
    parser=_date, metavar="DATE", help="valid-time clock: what was published by DATE", show_default=False)]


def register(app: typer.Typer) -> None:
    """Add the analyst commands to `app`."""
    app.command(epilog=CLOCK_HELP)(timeline)
    app.command(epilog=CLOCK_HELP)(batches)
    app.command(epilog=CLOCK_HELP)(filing)
    app.command(epilog=CLOCK_HELP)(regions)
    app.command(epilog=CLOCK_HELP)(report)


def timeline(
    ctx: typer.Context,
    entity: Annotated[str, typer.Argument(
        help="part of the Chinese or English name, an alias, a group (in English or Chinese)")],
    warehouse: Warehouse = None, format: Format = "table", as_of: AsOf = None, valid_on: ValidOn = None,
    event_type: Annotated[str | None, typer.Option(
        help="only this event type: filing_listed, filing_changed, filing_cancelled, approval_announced, "
             "news_reported (another value: exit 2)", show_default=False)] = None,
) -> None:
    """An entity's timeline. Exit 1 when no entity matches."""
    _query("run_timeline", **locals())


def batches(
    ctx: typer.Context,
    list_type: Annotated[str | None, typer.Option(
        help="only this list type, e.g. deep_synthesis (an unknown one: exit 2, naming the valid ones); "
             "genai_service: only the generative-AI reconciliation")] = None,
    warehouse: Warehouse = None, format: Format = "table", as_of: AsOf = None, valid_on: ValidOn = None,
) -> None:
    """Published lists with counts, dates and their reconciliation against the regulator's count; then the
    generative-AI lists against the regulator's cumulative totals (only those with --list-type genai_service)."""
    _query("run_batches", **locals())


def filing(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="备案编号 (or a unique part of it)")],
    warehouse: Warehouse = None, format: Format = "table", as_of: AsOf = None, valid_on: ValidOn = None,
) -> None:
    """One filing and its history. Exit 1 unless exactly one filing matches."""
    _query("run_filing", **locals())


def regions(
    ctx: typer.Context,
    warehouse: Warehouse = None, format: Format = "table", as_of: AsOf = None, valid_on: ValidOn = None,
) -> None:
    """Filings, cancellations, generative-AI approvals and organisations per province."""
    _query("run_regions", **locals())


def report(
    ctx: typer.Context,
    warehouse: Warehouse = None,
    out: Annotated[Path | None, typer.Option(
        help="output file (default $REGTRAIL_HOME/report/index.html)", show_default=False)] = None,
    as_of: AsOf = None, valid_on: ValidOn = None,
) -> None:
    """Write the static HTML timeline report (charts, by province, searchable per-entity timeline; works
    offline), as of a day when a clock is given."""
    from regtrail.analyst import cli

    _exit(lambda: cli.run_report(Namespace(warehouse=warehouse, out=out, as_of=as_of, valid_on=valid_on),
                                 _out(ctx)))


def _query(runner: str, ctx: typer.Context, **options: object) -> None:
    """Run `regtrail.analyst.cli.<runner>` on a read-only connection, with the command's options."""
    from regtrail.analyst import cli, db

    args = Namespace(**options)

    def run() -> int:
        with db.connect(args.warehouse) as con:
            return getattr(cli, runner)(con, args, _out(ctx))

    _exit(run)


def _exit(run) -> None:
    """Run a command; its result is the exit code; a missing warehouse file or an unknown option value
    (queries.InvalidChoice, a ValueError naming the valid values) is exit 2."""
    from regtrail.analyst.queries import InvalidChoice

    try:
        code = run()
    except (FileNotFoundError, InvalidChoice) as error:
        print(error, file=sys.stderr)
        raise typer.Exit(2) from None
    if code:
        raise typer.Exit(code)


def _out(ctx: typer.Context) -> IO[str]:
    return (ctx.obj or {}).get("out") or sys.stdout


def main(argv: list[str] | None = None, out=None) -> int:
    """Run one analyst command in-process (`main(["timeline", "Huawei"], out=buffer)`); returns the exit code."""
    import click

    app = typer.Typer(name="regtrail", help=__doc__, add_completion=False, no_args_is_help=True)
    register(app)
    try:
        return app(argv, prog_name="regtrail", standalone_mode=False, obj={"out": out}) or 0
    except click.exceptions.ClickException as error:
        error.show()
        return error.exit_code
