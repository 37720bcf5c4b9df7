"""Crawler commands: `crawl`, `ingest`, `replay` (append events) and `parse` (writes nothing)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

SourcesArg = Annotated[list[str] | None, typer.Argument(help="source names (default: all)", show_default=False)]


def register(app: typer.Typer) -> None:
    """Add the crawler commands to `app`."""
    app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
                add_help_option=False)(parse)
    app.command()(crawl)
    app.command()(ingest)
    app.command()(replay)


def parse(ctx: typer.Context) -> None:
    """Print the records the crawler appends for one saved document (JSON Lines), by running the sources' own
    code in a dry run; nothing is written. Options: `regtrail parse --help`."""
    from regtrail.crawl.dryrun import main  # the one definition of the options (the console script goes there)

    raise typer.Exit(main(list(ctx.args)))


def crawl(
    sources: SourcesArg = None,
    run_key: Annotated[str | None, typer.Option(help="run identifier; rerunning with the same key adds no events")]
    = None,
) -> None:
    """Fetch, archive, parse and append events (all sources by default); prints each source's stats as JSON.

    Exit 1 when some URL failed after its retries or some document could not be parsed (404/410 are "not
    available", not failures) or a source is broken (invalid source.yml, an error raised by its crawl; the other
    sources still run); 3 when everything failed; 2 for an unknown source.
    """
    from regtrail.crawl import runner

    _run("crawl", lambda observer: runner.crawl(sources, run_key=run_key, observer=observer))


def ingest(urls: Annotated[list[str], typer.Argument(help="document URLs: notice pages, list files, news articles")]
           ) -> None:
    """Fetch, archive, parse and append events for one-off URLs (source `adhoc`).

    Exit 1 when some URL failed or some document could not be parsed; 3 when everything failed.
    """
    from regtrail.crawl import runner

    _run("ingest", lambda observer: runner.ingest(urls, observer=observer))


def replay(sources: SourcesArg = None) -> None:
    """Re-parse the archive with the current parsers, no network; appends only changed output."""
    from regtrail.crawl import runner

    _run("replay", lambda observer: runner.replay(sources, observer=observer))


def _run(verb: str, work: Callable[[Callable[[str, Counter], None]], dict[str, Counter]]) -> None:
    """Run `work` with a progress display; print the stats and a one-line summary; exit as `runner.outcome` says."""
    from regtrail.crawl import runner
    from regtrail.crawl.sources import BrokenSource, UnknownSource

    try:
        with _progress(verb) as observer:
            results = work(observer)
    except UnknownSource as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(runner.EXIT_USAGE) from None
    except BrokenSource as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(runner.EXIT_FAILURES) from None
    print(json.dumps({name: dict(stats) for name, stats in results.items()}, ensure_ascii=False, indent=1))
    code, summary = runner.outcome(verb, results)
    typer.echo(summary if code == runner.EXIT_OK else f"error: {summary}", err=True)
    if code != runner.EXIT_OK:
        raise typer.Exit(code)


def _records(stats: Counter) -> int:
    return sum(count for key, count in stats.items() if key.startswith("records:"))


def progress_line(verb: str, source: str, stats: Counter) -> str:
    """One source's progress: documents fetched, URLs that failed, records parsed."""
    fetched = f"{stats['documents']} documents, {stats['failed_urls']} failed URLs, " if verb != "replay" else ""
    return f"{verb} {source}: {fetched}{_records(stats)} records"


@contextmanager
def _progress(verb: str) -> Iterator[Callable[[str, Counter], None]]:
    """A rich progress display on stderr, one line per source, updated on every fetch and record."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    tasks: dict[str, int] = {}
    with Progress(SpinnerColumn(finished_text="✓"), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(stderr=True)) as progress:

        def observe(source: str, stats: Counter) -> None:
            if source not in tasks:
                for earlier in tasks.values():
                    progress.update(earlier, completed=1)
                tasks[source] = progress.add_task(source, total=1)
            progress.update(tasks[source], description=progress_line(verb, source, stats))

        yield observe
        for task in tasks.values():
            progress.update(task, completed=1)
