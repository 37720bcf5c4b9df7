"""`regtrail parse FILE`: run the sources' own document handling on one saved document, without writing anything.

A dry-run context stands in for the crawl context: it records what the source emits instead of appending
events, and serves no network. The document goes through the one door `ingest` uses
(`regtrail.crawl.handover`): the sources are asked in name order which accepts it, each running in a dry-run
context with its own config. So `parse_file` returns the records the crawler appends for that document: those
of `regtrail ingest URL` for the same bytes, or, given the notice page that links an attachment
(`notice_page`), those a crawl of that notice appends for the attachment (the notice page is handed over and
the saved attachment is what the context serves when the source fetches it).

Only what parsing a file needs is imported (no pyarrow, fsspec, requests, warcio, pydantic or Typer; bs4 only
for HTML; pdfplumber only in the PDF reader's bounded child process, regtrail/parsers/pdf_guard.py), so
`regtrail parse` starts fast. Its options are defined once, here (`main`); the Typer application passes
`regtrail parse ...` through.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regtrail.fetch.document import Document
from regtrail.fetch.sniff import detect_type
from regtrail.log.digest import sha256
from regtrail.log.records import ParseFailure, Record
from regtrail.log.text import clean_key

if TYPE_CHECKING:
    from regtrail.parsers.errors import ParseError


@dataclass
class Emitted:
    """One record a source emitted in a dry run."""

    record: Record
    key: str
    document_url: str = ""

    def line(self) -> dict[str, Any]:
        """What `regtrail parse` prints: record type and key, then the payload fields."""
        return {"record_type": self.record.record_type, "record_key": self.key, **self.record.payload()}


@dataclass
class DryRunContext:
    """What a source's parsing code uses of the crawl context: config, emit and fail; `fetch` serves only the
    saved documents given (the attachment a notice page links), else None."""

    source: str
    config: Any
    emitted: list[Emitted] = field(default_factory=list)
    stats: Counter = field(default_factory=Counter)
    served: dict[str, Document] = field(default_factory=dict)

    def fetch(self, url: str, **_: Any) -> Document | None:
        """No network in a dry run: only the saved documents given are served."""
        return self.served.get(url)

    def emit(self, record: Record, key: str, *, document: Document, parser: Any, published_at: date | None = None,
             published_precision: str | None = None) -> None:
        self.emitted.append(Emitted(record, clean_key(key), document.url))

    def fail(self, document: Document, error: ParseError, **details: Any) -> None:
        failure = ParseFailure(error=str(error), detected_type=document.detected_type, parser=error.parser.name,
                               **details)
        self.emit(failure, document.url, document=document, parser=error.parser)


def dry_run(document: Document, notice_page: Document | None = None) -> list[Emitted]:
    """The records the crawler's sources emit for `document` (nothing is written): handed over as `ingest`
    hands it, or, with `notice_page`, as a crawl of that notice page reaches it."""
    from regtrail.crawl.handover import handle_document
    from regtrail.crawl.source_cache import validated_config

    contexts: list[DryRunContext] = []

    def context_for(source: str) -> DryRunContext:
        contexts.append(DryRunContext(source, validated_config(source), served={document.url: document}))
        return contexts[-1]

    handed = notice_page or document
    if not handle_document(handed, context_for):
        raise ValueError(f"{handed.url}: {handed.detected_type} document; no source parses it")
    emitted = [e for context in contexts for e in context.emitted if e.document_url == document.url]
    if notice_page is not None and not emitted:
        raise ValueError(f"{notice_page.url} links no attachment {document.url}")
    return emitted


def local_document(path: Path, url: str | None = None) -> Document:
    """A saved file as the crawler would hold it after fetching `url` (default: the file's own URI)."""
    body = path.read_bytes()
    return Document(url or path.resolve().as_uri(), body, sha256(body), {}, datetime.now(UTC), None,
                    detect_type(body))


def parse_file(path: Path, url: str | None = None, notice: Path | None = None,
               notice_url: str | None = None) -> list[dict[str, Any]]:
    """`regtrail parse`: the records of one saved document as printed (record_type, record_key, payload).

    `notice` is the saved notice page that links the document (with `notice_url` its canonical URL).
    Raises ValueError when the crawler would only record a parse failure for it.
    """
    notice_page = local_document(notice, notice_url) if notice is not None else None
    emitted = dry_run(local_document(path, url), notice_page)
    failures = [e.record for e in emitted if isinstance(e.record, ParseFailure)]
    if failures and len(failures) == len(emitted):
        raise ValueError(f"{path}: " + "; ".join(f.error for f in failures))
    return [e.line() for e in emitted]


def run(path: Path, url: str | None = None, notice: Path | None = None, notice_url: str | None = None) -> int:
    """Print the records of `path` as JSON Lines (keys sorted); 1 with the reason on stderr when it cannot be parsed."""
    import sys

    from regtrail.analyst.safe import json_text
    from regtrail.log.digest import canonical_json

    try:
        lines = parse_file(path, url, notice, notice_url)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write("".join(json_text(canonical_json(line)) + "\n" for line in lines))  # no raw C1/bidi character
    return 0


DESCRIPTION = """Print the records the crawler appends for one saved document, as JSON Lines (record_type,
record_key, payload fields), by running the sources' own code in a dry run; nothing is written. Without --notice:
the records `regtrail ingest URL` appends for these bytes; with it, those of a crawl of that notice. Exit 1 when
the document cannot be parsed (the crawler would record a parse failure)."""


def main(argv: list[str] | None = None) -> int:
    """`regtrail parse`: its options, defined here only (the console script and the Typer app both come here)."""
    import argparse

    class Help(argparse.HelpFormatter):  # "Usage:" as the other commands print it
        def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
            super().add_usage(usage, actions, groups, prefix or "Usage: ")

    parser = argparse.ArgumentParser(prog="regtrail parse", description=DESCRIPTION, formatter_class=Help)
    parser.add_argument("file", type=Path, help="a saved document: list attachment (DOCX/PDF), notice or news page")
    parser.add_argument("--url", help="canonical URL of the document (resolves relative links)")
    parser.add_argument("--notice", type=Path, help="saved notice page linking the document (as a crawl sees it)")
    parser.add_argument("--notice-url", help="canonical URL of that notice page")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    return run(args.file, args.url, args.notice, args.notice_url)
