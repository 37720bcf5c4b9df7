"""Run sources: crawl (network or mirror) and replay (archive only)."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from regtrail import settings
from regtrail.crawl import recovery
from regtrail.crawl.context import ArchiveTransport, Context, LiveTransport, Transport
from regtrail.crawl.handover import handle_document
from regtrail.crawl.sources import NoSourceParses, Source, broken_sources, get_sources
from regtrail.fetch.fetcher import Fetcher
from regtrail.fetch.policy import source_hosts
from regtrail.log import diskfull, events, quarantine
from regtrail.log.events import Root

log = logging.getLogger("regtrail")


STALE_TEMP_SECONDS = 3600.0

Observer = Callable[[str, Counter], None]
"""Called with a source's name and its stats whenever they change (progress display)."""


class ObservedStats(Counter):
    """A source's stats counter that reports every change to an observer."""

    def __init__(self, *args, source: str = "", observer: Observer | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._source, self._observer = source, observer

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        if self._observer is not None:
            self._observer(self._source, self)


def _stats(source: str, observer: Observer | None) -> Counter:
    return ObservedStats(source=source, observer=observer) if observer else Counter()


EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_ALL_FAILED = 0, 1, 2, 3
"""Exit codes of `crawl`, `ingest` and `replay`: 0 nothing failed (a 404/410 is "not available", not a failure);
1 some URL failed after its retries or some document could not be parsed, in any source; 2 usage error (unknown
source); 3 everything failed: failures and not one document fetched and parsed."""

# What the summary line adds when its count is not zero, in this order.
SUMMARY_EXTRAS = (
    ("gone", "URL(s) not available (404/410)"),
    ("missing", "URL(s) not in the archive"),
    ("quarantined", "unreadable segment(s) moved to the quarantine (see `regtrail replay`)"),
    ("recovered", "fetch event(s) of quarantined segments recovered from the archive"),
    ("leftovers", "list row(s) without a valid 备案编号 kept out of the filings (leftover_rows)"),
    ("broken", "source(s) broken (invalid source.yml or an error in its crawl)"),
)


def outcome(command: str, results: dict[str, Counter]) -> tuple[int, str]:
    """The exit code of a run and a one-line summary saying what happened, per source when something failed."""
    total: Counter = Counter()
    failing = []
    for name, stats in results.items():
        failed, unparsed = stats["failed_urls"], stats["records:parse_failure"]
        broken = stats["crawl_errors"] + stats["config_errors"]
        total.update(documents=stats["documents"], failed=failed, unparsed=unparsed, broken=broken,
                     gone=stats["not_available_urls"], missing=stats["not_in_archive"],
                     quarantined=stats["quarantined_segments"], recovered=stats["recovered_fetch_events"],
                     leftovers=stats["leftover_rows"])
        if stats["config_errors"]:
            failing.append(f"{name}: invalid source.yml")
        elif stats["crawl_errors"]:
            failing.append(f"{name}: its crawl raised an error")
        elif failed or unparsed:
            failing.append(f"{name}: {failed} failed, {unparsed} unparsed")
    parsed = total["documents"] - total["unparsed"]
    line = (f"{command}: {len(results)} source(s), {total['documents']} document(s) fetched, {parsed} parsed, "
            f"{total['failed']} URL(s) failed after retries, {total['unparsed']} document(s) could not be parsed")
    line += "".join(f", {total[key]} {what}" for key, what in SUMMARY_EXTRAS if total[key])
    if not (total["failed"] or total["unparsed"] or total["broken"]):
        return EXIT_OK, line
    code = EXIT_ALL_FAILED if parsed <= 0 else EXIT_FAILURES
    verdict = "everything failed" if code == EXIT_ALL_FAILED else "with failures"
    return code, f"{line}; {verdict} ({'; '.join(failing)}); the fetch events and parse_failure records say why"


def remove_stale_temp_files(root: Root, source: str, older_than: float = STALE_TEMP_SECONDS) -> int:
    """Delete temporary files a killed writer left behind (hidden `.*.tmp`, never read) for one source.

    Works on any fsspec root; an object store never holds temporaries (each file is one PUT).
    """
    fs, base = events.filesystem(root)
    if events.is_object_store(fs):
        return 0
    base = base.rstrip("/")
    folders = [f"{base}/events/{kind}/source={source}" for kind in events.KINDS]
    folders.append(f"{base}/archive/{source}")
    removed = 0
    cutoff = time.time() - older_than
    for folder in folders:
        try:
            found = fs.find(folder)
        except FileNotFoundError:
            continue
        for temp in (p for p in found if p.rsplit("/", 1)[-1].startswith(".") and p.endswith(".tmp")):
            try:
                if fs.modified(temp).timestamp() < cutoff:
                    fs.rm_file(temp)
                    removed += 1
            except (FileNotFoundError, NotImplementedError):
                pass
    return removed


def _run(source: Source, transport: Transport, run_key: str, root: Root, observer: Observer | None = None,
         quarantined: list[str] | None = None) -> Counter:
    """Crawl one source through `transport`; `quarantined`: the segments the caller already moved aside
    (the source's segments are checked here when None)."""
    stale = remove_stale_temp_files(root, source.name)
    if quarantined is None:
        quarantined = quarantine.quarantine_unreadable(root, source=source.name, run_key=run_key)
    context = Context(source=source, run_key=run_key, root=root, transport=transport,
                      stats=_stats(source.name, observer))
    if stale:
        context.stats["stale_temp_files_removed"] = stale
    if quarantined:
        context.stats["quarantined_segments"] = len(quarantined)
    try:
        source.crawl(context)
    except Exception as exc:  # one source's broken code fails that source alone; the others still run
        if diskfull.is_disk_full(exc):  # not the source's fault: every source would fail the same way
            raise
        log.exception("%s: the crawl raised an error; what it fetched before is kept", source.name)
        context.stats["crawl_errors"] += 1
    finally:
        context.flush()
    log.info("%s: %s", source.name, dict(context.stats))
    return context.stats


def _broken(names: list[str] | None) -> dict[str, Counter]:
    """A run of every source (no names) reports each source whose `source.yml` is invalid, and goes on."""
    if names:
        return {}
    results = {}
    for name, message in broken_sources().items():
        log.error("source %s is not crawled: %s", name, message)
        results[name] = Counter(config_errors=1)
    return results


def default_run_key(prefix: str) -> str:
    return f"{prefix}:{datetime.now(UTC):%Y%m%dT%H%M%S%f}"


def crawl(
    names: list[str] | None = None, *, run_key: str | None = None, root: Root | None = None,
    observer: Observer | None = None,
) -> dict[str, Counter]:
    """Fetch, archive, parse and append events for the named sources (all by default)."""
    root = root or settings.log_root()
    run_key = run_key or default_run_key("cli")
    results = _broken(names)
    for source in get_sources(names):
        results[source.name] = _run(source, LiveTransport(source_fetcher(source)), run_key, root, observer)
    return results


def source_fetcher(source: Source) -> Fetcher:
    """A fetcher with the source's rate limit (REGTRAIL_MIRROR_RATE_LIMIT applies in mirror mode)."""
    return Fetcher(rate_limit=source.config.rate_limit_per_second)


def ingest(urls: list[str], *, root: Root | None = None, observer: Observer | None = None) -> dict[str, Counter]:
    """Fetch, archive, parse and append events for one-off document URLs (source `adhoc`).

    Each document goes to the source that accepts it (`regtrail.crawl.handover`); one that no source
    accepts becomes a `parse_failure` record (its body stays in the archive).
    """
    root = root or settings.log_root()
    source = get_sources(["adhoc"])[0]
    hosts = source_hosts(source.config) | {(urlsplit(url).hostname or "").lower() for url in urls}
    context = Context(source=source, run_key=default_run_key("ingest"), root=root,
                      transport=LiveTransport(source_fetcher(source)), stats=_stats(source.name, observer),
                      allowed_hosts=frozenset(hosts))
    try:
        for url in urls:
            document = context.fetch(url, purpose="document", expect="any")
            if document is not None and not handle_document(document, lambda _: context):
                context.fail(document, NoSourceParses(f"no source parses this {document.detected_type} document"))
    finally:
        context.flush()
    return {source.name: context.stats}


def replay(
    names: list[str] | None = None, *, root: Root | None = None, observer: Observer | None = None
) -> dict[str, Counter]:
    """Re-parse archived documents with the current parsers; appends only records that changed.

    A source with quarantined segments first gets back the fetch events the archive can give
    (`recovery`); its replay then records, per quarantined segment, a `segment_restored` log event.
    """
    root = root or settings.log_root()
    run_key = default_run_key("replay")
    results = _broken(names)
    for source in get_sources(names):
        moved = quarantine.quarantine_unreadable(root, source=source.name, run_key=run_key)  # before `pending`
        pending = quarantine.awaiting_replay(root, source.name)
        recovered = recovery.recover_fetch_events(root, source.name, pending)
        stats = _run(source, ArchiveTransport(root, source.name), run_key, root, observer, quarantined=moved)
        if recovered:
            stats["recovered_fetch_events"] = recovered
        quarantine.record_restored(root, source.name, pending, run_key=run_key,
                                   record_events=stats["new_record_events"], fetch_events=recovered)
        results[source.name] = stats
    return results
