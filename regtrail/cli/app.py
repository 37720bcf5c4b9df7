"""`regtrail`: the one command line of the project (Typer).

Every command imports what it needs when it runs, so `regtrail --help` and `regtrail parse` start
without Airflow, dbt or pyarrow.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from regtrail.cli import analyst, crawler, pipeline
from regtrail.log import diskfull

EXIT_CODES = ("Exit codes: 0 ok; 1 failure (crawl/ingest/replay: some URL failed after its retries or some "
              "document could not be parsed; a document parse cannot read; a failed dbt build or DAG run; nothing "
              "to publish; no entity or filing matches); 2 usage error (unknown command, option or source; a "
              "malformed date; a missing warehouse file); 3 crawl/ingest/replay: everything failed; 4 no space left "
              "on a device (the path is named, nothing partial kept).")

app = typer.Typer(
    name="regtrail",
    help="Track what regulators publish: crawl into an event log, build and publish the warehouse, query it.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log progress to stderr")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    from regtrail.analyst.redaction import protect

    protect(*logging.getLogger().handlers)  # no URL credential or token in any line the CLI logs


crawler.register(app)
pipeline.register(app)
analyst.register(app)


def main() -> None:
    """Console-script entry point (`regtrail`) and `python -m regtrail`.

    A full disk anywhere ends the command with one line naming the path and exit code 4 (nothing partial kept).
    """
    try:
        app(prog_name="regtrail")
    except Exception as exc:
        if not diskfull.is_disk_full(exc):
            raise
        if not isinstance(exc, diskfull.DiskFull):
            exc = diskfull.DiskFull(getattr(exc, "filename", None) or "?", exc)
        print(f"regtrail: {exc}", file=sys.stderr)
        sys.exit(diskfull.EXIT_CODE)
