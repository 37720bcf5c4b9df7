"""Raw response archive: one gzipped WARC file per payload digest.

Bodies are archived before they are parsed, so every record can be re-derived later
(`regtrail replay`) without touching the network. The archive lives beside the event
log under its root (`settings.log_root()`): a local folder or any fsspec URL (`s3://bucket/prefix`).
Locally a file is written under a temporary name and renamed into place; on an object store it is
one PUT (atomic); on other remote filesystems a temporary name is moved into place.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from regtrail.log import events
from regtrail.log.events import Root

# Headers that describe the transport, not the archived (already decoded) body.
_TRANSPORT_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}


def archive_relpath(source: str, digest: str) -> str:
    """Archive file of a payload digest, relative to the log root."""
    hexdigest = digest.split(":", 1)[-1]
    return f"archive/{source}/{hexdigest[:2]}/{hexdigest}.warc.gz"


def exists(root: Root, relpath: str) -> bool:
    """True when `relpath` is archived under `root`."""
    fs, path = events.filesystem(events.under(root, relpath))
    return fs.exists(path)


def store(
    root: Root,
    source: str,
    *,
    url: str,
    digest: str,
    body: bytes,
    status: int,
    reason: str,
    headers: dict[str, str],
    request_headers: dict[str, str],
) -> str:
    """Write the response (and its request) as a WARC file unless that digest is already archived."""
    relpath = archive_relpath(source, digest)
    if exists(root, relpath):
        return relpath
    data = warc_bytes(url, digest=digest, body=body, status=status, reason=reason, headers=headers,
                      request_headers=request_headers)
    events.write_atomically(events.under(root, relpath), lambda handle: handle.write(data))
    return relpath


def warc_bytes(
    url: str, *, digest: str, body: bytes, status: int, reason: str, headers: dict[str, str],
    request_headers: dict[str, str],
) -> bytes:
    """A gzipped WARC file holding the response record and its request record."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    response_headers = [(k, v) for k, v in headers.items() if k.lower() not in _TRANSPORT_HEADERS]
    response_headers.append(("Content-Length", str(len(body))))
    http_headers = StatusAndHeaders(f"{status} {reason or ''}".strip(), response_headers, protocol="HTTP/1.1")
    response = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=http_headers,
        warc_headers_dict={"WARC-Payload-Digest": digest},
    )
    request = writer.create_warc_record(
        url, "request", payload=io.BytesIO(b""),
        http_headers=StatusAndHeaders("GET / HTTP/1.1", list(request_headers.items()), is_http_request=True),
    )
    writer.write_record(response)
    writer.write_record(request)
    return buffer.getvalue()


@dataclass
class Archived:
    """One archived response: the URL it was requested as, when it was archived, status, headers, body."""

    url: str
    archived_at: datetime
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes


def read(root: Root, relpath: str) -> Archived:
    """The response record of an archive file."""
    fs, path = events.filesystem(events.under(root, relpath))
    for record in ArchiveIterator(io.BytesIO(fs.cat_file(path))):
        if record.rec_type == "response":
            http = record.http_headers
            status, reason = (http.get_statuscode(), http.statusline.partition(" ")[2]) if http else ("0", "")
            date = datetime.fromisoformat(record.rec_headers.get_header("WARC-Date").replace("Z", "+00:00"))
            return Archived(record.rec_headers.get_header("WARC-Target-URI"), date.astimezone(UTC), int(status),
                            reason, dict(http.headers) if http else {}, record.content_stream().read())
    raise FileNotFoundError(f"no response record in {relpath}")


def load(root: Root, relpath: str) -> tuple[bytes, dict[str, str]]:
    """Body and response headers of an archived response."""
    archived = read(root, relpath)
    return archived.body, archived.headers


def archived(root: Root, source: str) -> list[str]:
    """Every archive file of `source`, relative to the log root (as `archive_relpath` names them)."""
    fs, base = events.filesystem(root)
    try:
        found = fs.find(f"{base.rstrip('/')}/archive/{source}")
    except FileNotFoundError:
        return []
    prefix = len(base.rstrip("/")) + 1
    return sorted(p[prefix:] for p in found if p.endswith(".warc.gz"))  # temporaries end in .tmp
