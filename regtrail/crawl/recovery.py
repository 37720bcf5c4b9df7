"""Fetch events lost with a quarantined fetch segment, recovered from the archive.

Every response body is archived (one WARC file per payload digest) before its fetch event is written, and
`replay` serves documents by the fetch log. When a fetch segment has been quarantined, the archive files no
remaining fetch event names are the bodies whose events were lost: each one archived before the
quarantine becomes one fetch event again, in the run `recovered:<quarantine event id>`, with the URL,
status, headers, digest and archive time the WARC file holds, and `ok` as the fetcher would judge that
response today. What the archive cannot give back stays lost, and the quarantine event says how many rows
the segment declared: failed attempts without a body, later fetches of an unchanged body (one WARC per
digest), the purpose, referer and timing of each attempt.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from regtrail.fetch.document import header
from regtrail.fetch.fetcher import RawResponse
from regtrail.fetch.transport import accept
from regtrail.log import archive, events
from regtrail.log.digest import sha256
from regtrail.log.events import Root

RECOVERED_PURPOSE = "recovered"
"""The purpose of a recovered fetch event (the original purpose is not in the archive)."""


def recover_fetch_events(root: Root, source: str, pending: list[dict[str, Any]]) -> int:
    """Append a fetch event for each unnamed archive file of `source` older than the quarantines `pending`.

    `pending` are quarantine records (`quarantine.awaiting_replay`); only fetch segments among them count.
    Returns the number of fetch events appended (0 when run again: the ids are deterministic).
    """
    lost = [q for q in pending if q["kind"] == "fetch"]
    if not lost:
        return 0
    named = set(events.read_events(root, "fetch", source, columns=["archive_path"]).column("archive_path").to_pylist())
    newest = max(q["quarantined_at"] for q in lost)
    run_key = f"recovered:{lost[0]['event_id']}"
    rows = []
    for relpath in archive.archived(root, source):
        if relpath in named:
            continue
        response = archive.read(root, relpath)
        if response.archived_at > newest:
            continue  # archived after the quarantine: not something the quarantined segment can have named
        rows.append(_event(source, run_key, relpath, response).row())
    return events.write_segment(root, "fetch", source, rows)[1] if rows else 0


def _event(source: str, run_key: str, relpath: str, response: archive.Archived) -> events.FetchEvent:
    robots = urlsplit(response.url).path == "/robots.txt"
    raw = RawResponse(status=response.status, reason=response.reason, headers=response.headers,
                      body=response.body, fetched_url=response.url, request_headers={}, elapsed_ms=0.0)
    error_kind, error, _ = accept(raw, "robots" if robots else "any")
    return events.FetchEvent(
        source=source, run_key=run_key, url=response.url, fetched_url=response.url,
        purpose="robots" if robots else RECOVERED_PURPOSE, attempt=1, started_at=response.archived_at,
        elapsed_ms=0.0, status=response.status, ok=error_kind is None, error_kind=error_kind, error=error,
        content_type=header(response.headers, "content-type"), etag=header(response.headers, "etag"),
        last_modified=header(response.headers, "last-modified"), payload_digest=sha256(response.body),
        payload_size=len(response.body), archive_path=relpath,
    )
