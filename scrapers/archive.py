"""Raw response archive: one gzipped WARC file per payload digest.

Bodies are archived before they are parsed, so every record can be re-derived later
(`python -m scrapers replay`) without touching the network.
"""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# Headers that describe the transport, not the archived (already decoded) body.
_TRANSPORT_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}


def archive_relpath(source: str, digest: str) -> str:
    """Archive file of a payload digest, relative to REGTRAIL_HOME."""
    hexdigest = digest.split(":", 1)[-1]
    return f"archive/{source}/{hexdigest[:2]}/{hexdigest}.warc.gz"


def store(
    root: Path,
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
    final = root / relpath
    if final.exists():
        return relpath
    final.parent.mkdir(parents=True, exist_ok=True)
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
    temp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
    temp.write_bytes(buffer.getvalue())
    os.replace(temp, final)
    return relpath


def load(root: Path, relpath: str) -> tuple[bytes, dict[str, str]]:
    """Body and response headers of an archived response."""
    with open(root / relpath, "rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "response":
                headers = dict(record.http_headers.headers) if record.http_headers else {}
                return record.content_stream().read(), headers
    raise FileNotFoundError(f"no response record in {relpath}")
