"""Pipeline commands: `build` and `publish` the warehouse, serve the `mirror`, run the `demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

Synthetic = Literal["missing", "fill", "all"]  # regtrail.mirror.site.SYNTHETIC_POLICIES (import-free for --help)


def register(app: typer.Typer) -> None:
    """Add the pipeline commands to `app`."""
    app.command()(build)
    app.command()(publish)
    app.command()(mirror)
    app.command()(demo)


def build(
    full_refresh: Annotated[bool, typer.Option(
        "--full-refresh", help="build from the whole log instead of continuing from the published warehouse "
        "(default: REGTRAIL_FULL_REFRESH)")] = False,
) -> None:
    """Build the warehouse with dbt (`dbt build`: models and data tests) into the build file; then `publish`.

    Continues from a copy of the published warehouse when it can (incremental models load only new
    segments). dbt prints its progress. Exit 1 when a model or a data test fails.
    """
    from regtrail.build import warehouse

    code = warehouse.dbt_build(full_refresh=True if full_refresh else None)
    if code:
        typer.echo(f"error: dbt build failed (exit {code}); nothing to publish", err=True)
        raise typer.Exit(1)
    typer.echo(f"built {warehouse.build_path()}; `regtrail publish` swaps it in", err=True)


def publish(
    docs: Annotated[bool, typer.Option(help="generate the dbt docs site")] = True,
    exports: Annotated[bool, typer.Option(help="export every mart as Parquet")] = True,
    report: Annotated[bool, typer.Option(help="write the HTML timeline report")] = True,
) -> None:
    """Swap the built warehouse in atomically, with its Parquet exports, dbt docs and report.

    Exit 1 when there is no build file (run `regtrail build` first) or a step fails (nothing is swapped).
    """
    from rich.console import Console

    from regtrail.ops import publish as publishing

    with Console(stderr=True).status("publishing: exports, report, dbt docs, then one atomic swap"):
        try:
            target = publishing.publish(docs=docs, exports=exports, report=report)
        except (FileNotFoundError, RuntimeError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"published {target}")


def mirror(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port (0 picks a free one)")] = 8765,
    synthetic: Annotated[Synthetic, typer.Option(
        help="missing: real files only, others 404; fill: synthetic lists where no real file; "
             "all: synthetic everywhere")] = "missing",
    shared: Annotated[Path | None, typer.Option(
        help="shared data folder holding cac_data/ (default $REGTRAIL_SHARED or ../shared)",
        show_default=False)] = None,
    print_origin_file: Annotated[Path | None, typer.Option(
        help="write the origin URL to this file once listening", show_default=False)] = None,
) -> None:
    """Serve the bundled offline mirror of the CAC site until interrupted (set REGTRAIL_MIRROR to its origin)."""
    from regtrail.mirror.server import serve

    serve(host=host, port=port, synthetic=synthetic, shared=shared, print_origin_file=print_origin_file)


def demo() -> None:
    """Run the whole pipeline on the bundled mirror (crawl, dbt, publish in one Airflow DAG run), print the result.

    Exit 1 when the DAG run fails (its log is printed); 75 (EX_TEMPFAIL) when another build holds the lease.
    """
    from regtrail.ops import demo as demo_module

    code = demo_module.main()
    if code:
        raise typer.Exit(code if code == demo_module.LOCKED else 1)
