"""A fetched (or archived, or local) document handed to a source's parsing code.

Kept apart from the transports so that `regtrail parse` (a dry run, regtrail/crawl/dryrun.py) can build one
without importing the fetching stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from regtrail.fetch.sniff import decode_html


def header(headers: dict[str, str], name: str) -> str | None:
    """A header value, case-insensitively (`name` in lower case)."""
    return next((v for k, v in headers.items() if k.lower() == name), None)


@dataclass
class Document:
    """A fetched (or archived) body accepted for parsing."""

    url: str
    body: bytes
    digest: str
    headers: dict[str, str]
    observed_at: datetime
    fetch_event_id: str | None
    detected_type: str
    status: int | None = 200

    def text(self) -> str:
        """The body decoded as HTML text."""
        return decode_html(self.body, header(self.headers, "content-type"))
