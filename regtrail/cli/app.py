"""`regtrail`: the one command line of the project (Typer).

Every command imports what it needs when it runs, so `regtrail --help` and `regtrail parse` start
without Airflow, dbt or pyarrow.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from regtrail.cli import analyst, crawler, pipeline

EXIT_CODES = ("Exit codes: 0 ok; 1 failure (crawl/ingest/replay: some URL failed after its retries or some "
              "document could not be parsed; a document parse cannot read; a failed dbt build or DAG run; nothing "
              "to publish; no entity or filing matches); 2 usage error (unknown command, option or source; a "
              "malformed date; a missing warehouse file); 3 crawl/ingest/replay: everything failed.")

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


crawler.register(app)
pipeline.register(app)
analyst.register(app)


def main() -> None:
    """Console-script entry point (`regtrail`) and `python -m regtrail`."""
    app(prog_name="regtrail")
