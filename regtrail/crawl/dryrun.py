"""`regtrail parse FILE`: run a source's own parsing code on one saved document, without writing anything.

A dry-run context stands in for the crawl context: it records what the source emits instead of
appending events, and fetches nothing. So `parse_file` returns exactly the records the crawler appends
for that document: the records of `regtrail ingest URL` for the same bytes, or, given the notice page
that links an attachment (`notice_page`), the records a crawl of that notice appends for it (the notice
gives the list its publication date, notice URL and title). Which source's code runs is decided the way
the crawler's sources decide it: a DOCX list attachment (`cac_lists`, with the config of the source
of its list type), else a generative-AI list (`cac_genai`); a PDF cancellation notice
(`cac_cancellations`), else a generative-AI list; a CAC notice page (`cac_lists` or `cac_genai`); any
other HTML page is read as a news article (`news`).

Only what parsing a file needs is imported (no pyarrow, fsspec, requests or warcio; bs4 only for HTML;
pdfplumber only in the PDF reader's bounded child process, regtrail/parsers/pdf_guard.py), so `regtrail parse`
starts fast.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from regtrail.fetch.document import Document
from regtrail.fetch.sniff import detect_type
from regtrail.log.digest import sha256
from regtrail.log.records import ParseFailure, Record
from regtrail.log.text import clean_key

if TYPE_CHECKING:
    from regtrail.crawl.sources import SourceConfig

log = logging.getLogger("regtrail")


@dataclass
class Emitted:
    """One record a source emitted in a dry run."""

    record: Record
    key: str

    def line(self) -> dict[str, Any]:
        """What `regtrail parse` prints: record type and key, then the payload fields."""
        return {"record_type": self.record.record_type, "record_key": self.key, **self.record.payload()}


@dataclass
class DryRunContext:
    """What a source's parsing code uses of the crawl context: config, emit and fail; fetch gives None."""

    source: str
    config: SourceConfig
    emitted: list[Emitted] = field(default_factory=list)
    stats: Counter = field(default_factory=Counter)

    def fetch(self, url: str, **_: Any) -> None:
        """No network in a dry run: documents a page links are not followed."""
        return None

    def emit(self, record: Record, key: str, *, document: Document, parser: str, parser_version: str,
             published_at: date | None = None, published_precision: str | None = None) -> None:
        self.emitted.append(Emitted(record, clean_key(key)))

    def fail(self, document: Document, error: str, *, parser: str, parser_version: str, **details: Any) -> None:
        failure = ParseFailure(error=error, detected_type=document.detected_type, parser=parser, **details)
        self.emit(failure, document.url, document=document, parser=parser, parser_version=parser_version)


def _context(source: str | None = None, list_type: str | None = None) -> DryRunContext:
    """A dry-run context with the config of `source`, or of the source crawling lists of `list_type` (only
    that source's YAML is parsed)."""
    from regtrail.crawl.source_cache import SOURCES_DIR, validated_config

    if source is None:
        line = f"\nlist_type: {list_type}\n"
        source = next(p.parent.name for p in sorted(SOURCES_DIR.glob("*/source.yml"))
                      if line in p.read_text(encoding="utf-8"))
    return DryRunContext(source, validated_config(source))


def _notice_and_attachment(document: Document, notice_page: Document | None) -> tuple[Any, Any]:
    """The notice that links `document` and its attachment entry: parsed from `notice_page` when given,
    else what `ingest` uses for a bare attachment URL (the document as its own notice, no title)."""
    from regtrail.parsers.cac_pages import Attachment, Notice, parse_notice

    if notice_page is not None:
        notice = parse_notice(notice_page.text(), notice_page.url)
        for attachment in notice.attachments:
            if attachment.url == document.url:
                return notice, attachment
        raise ValueError(f"{notice_page.url} links no attachment {document.url}")
    name = document.url.rsplit("/", 1)[-1]
    return Notice(url=document.url, title="", pubtime=None), Attachment(label=None, file_name=name, url=document.url)


def _docx(document: Document, notice_page: Document | None) -> list[Emitted]:
    from regtrail.parsers import docx_list

    notice, attachment = _notice_and_attachment(document, notice_page)
    try:
        parsed = docx_list.parse_list_docx(document.body)
    except docx_list.ListParseError as not_a_list:
        return _genai(document, notice, attachment, not_a_list, docx_list.PARSER_NAME, docx_list.PARSER_VERSION)
    from scrapers import cac_lists

    context = _context(list_type=parsed.list_type or "deep_synthesis")
    cac_lists.emit_list(context, notice, attachment, document, parsed)
    return context.emitted


def _genai(document: Document, notice: Any, attachment: Any, first: Exception, parser: str,
           version: str) -> list[Emitted]:
    """A generative-AI list; when it is not one either (or the first parser refused the document for its
    size: no second parse), the parse failure of the first parser tried."""
    from regtrail.parsers import docx_list, genai_list, pdf_guard

    try:
        if isinstance(first, docx_list.DocumentTooLarge) or isinstance(first.__cause__, pdf_guard.PdfRefused):
            raise genai_list.GenaiParseError("not tried")
        parsed = genai_list.parse_genai_document(document.body)
    except genai_list.GenaiParseError as exc:
        log.info("%s: not read as a generative-AI list: %s", document.url, exc)
        context = _context("cac_cancellations" if document.detected_type == "pdf" else "cac_deep_synthesis")
        details = ({"notice_id": _notice_id(document)} if document.detected_type == "pdf" else
                   {"file_name": attachment.file_name, "notice_url": notice.url,
                    "attachment_label": attachment.label})
        context.fail(document, str(first), parser=parser, parser_version=version, **details)
        return context.emitted
    from scrapers.cac_genai import crawl as cac_genai

    context = _context("cac_genai")
    cac_genai.emit_list(context, notice, attachment, document, parsed)
    return context.emitted


def _notice_id(document: Document) -> str:
    """The notice id of a cancellation PDF: the last part of its download URL (or of the file name)."""
    parts = urlsplit(document.url)
    return (parts.query.rsplit("=", 1)[-1] if parts.query else "") or Path(parts.path).stem


def _pdf(document: Document, notice_page: Document | None) -> list[Emitted]:
    from regtrail.parsers import cancellation_notice

    try:
        parsed = cancellation_notice.parse_cancellation_pdf(document.body)
    except cancellation_notice.CancellationParseError as not_a_notice:
        notice, attachment = _notice_and_attachment(document, notice_page)
        return _genai(document, notice, attachment, not_a_notice, cancellation_notice.PARSER_NAME,
                      cancellation_notice.PARSER_VERSION)
    from scrapers.cac_cancellations import crawl as cac_cancellations

    context = _context("cac_cancellations")
    listed = cancellation_notice.ListedNotice(notice_id=_notice_id(document), title=parsed.title or "",
                                              published=None)
    cac_cancellations.emit_notice(context, listed, document, parsed)
    return context.emitted


def _html(document: Document) -> list[Emitted]:
    text = document.text()
    if 'id="BodyLabel"' in text:
        from regtrail.parsers import cac_pages
        from scrapers import cac_lists
        from scrapers.cac_genai import crawl as cac_genai

        notice = cac_pages.parse_notice(text, document.url)
        if cac_pages.is_genai_notice(notice):
            context = _context("cac_genai")
            cac_genai.handle_notice(context, document)
        else:
            context = _context(list_type="deep_synthesis" if "深度合成" in notice.title else "algo_recommendation")
            cac_lists.handle_notice(context, document)
        return context.emitted
    if "loadingInfoPage" in text:
        log.warning("%s is a channel listing: the crawler follows its links and appends no records for it",
                    document.url)
        return []
    from scrapers.news import crawl as news

    context = _context("news")
    news.handle_article(context, document)
    return context.emitted


def dry_run(document: Document, notice_page: Document | None = None) -> list[Emitted]:
    """The records the crawler's sources emit for `document` (nothing is written)."""
    if document.detected_type == "docx":
        return _docx(document, notice_page)
    if document.detected_type == "pdf":
        return _pdf(document, notice_page)
    if document.detected_type == "html":
        return _html(document)
    raise ValueError(f"{document.url}: {document.detected_type} document; no source parses it")


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

    from regtrail.log.digest import canonical_json

    try:
        lines = parse_file(path, url, notice, notice_url)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write("".join(canonical_json(line) + "\n" for line in lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    """`regtrail parse` without the Typer application (see regtrail/cli/console.py); the same options."""
    import argparse

    parser = argparse.ArgumentParser(prog="regtrail parse", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", help="canonical URL of the document (resolves relative links)")
    parser.add_argument("--notice", type=Path, help="saved notice page linking the document (as a crawl sees it)")
    parser.add_argument("--notice-url", help="canonical URL of that notice page")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    return run(args.file, args.url, args.notice, args.notice_url)
