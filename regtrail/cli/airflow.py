"""`regtrail airflow`: the DAG file for an existing Airflow, and a local `airflow standalone` that cleans up."""

from __future__ import annotations

from typing import Annotated

import typer

airflow_app = typer.Typer(help="Deploy the DAGs into an Airflow, or run a local scheduler on them.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the `airflow` command group to `app`."""
    app.add_typer(airflow_app, name="airflow")


@airflow_app.command()
def dag() -> None:
    """Print the DAG file for an Airflow whose environment has regtrail installed.

    `regtrail airflow dag > "$AIRFLOW_HOME/dags/regtrail.py"`: the file imports the DAGs from the package and is
    configured by environment only (REGTRAIL_HOME, REGTRAIL_LOG, REGTRAIL_MIRROR, ...; see docs/operating.md).
    """
    from regtrail import settings

    typer.echo((settings.dags_dir() / "regtrail_cac.py").read_text(encoding="utf-8"), nl=False)


@airflow_app.command()
def standalone(
    port: Annotated[int, typer.Option(help="port of the Airflow UI and REST API")] = 8080,
    live: Annotated[bool, typer.Option("--live", help="crawl the live site instead of the bundled mirror")] = False,
) -> None:
    """Run `airflow standalone` on the regtrail DAGs under $REGTRAIL_HOME/airflow, crawling the bundled mirror
    (or REGTRAIL_MIRROR); Ctrl-C or SIGTERM stops every process it started."""
    from regtrail.ops import standalone as runner

    raise typer.Exit(runner.main(port=port, live=live))
