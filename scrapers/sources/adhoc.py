"""One-off documents: `python -m scrapers ingest URL...` through the same fetcher and archive."""

from __future__ import annotations

from ..context import Context
from . import cac_lists


def crawl(context: Context) -> None:
    """Nothing to crawl on a schedule: this source only ingests URLs handed to it."""


def ingest(context: Context, urls: list[str]) -> None:
    """Fetch each URL, archive it, and parse it with the parser its content calls for."""
    for url in urls:
        document = context.fetch(url, purpose="document", expect="any")
        if document is None:
            continue
        if document.detected_type == "html":
            if 'id="BodyLabel"' in document.text():
                cac_lists.handle_notice(context, document)
            else:
                context.fail(document, "HTML page without a known structure (no parser matched)",
                             parser="adhoc", parser_version="1")
        else:
            notice = cac_lists.Notice(url=url, title="", pubtime=None)
            attachment = cac_lists.Attachment(label=None, file_name=url.rsplit("/", 1)[-1], url=url)
            cac_lists.parse_attachment(context, notice, attachment, document)
