"""One-off documents: `python -m regtrail ingest URL...` through the same fetcher and archive.

CAC notice pages (algorithm lists or generative-AI lists), list attachments, and news articles are
recognised from their content and handed to the parser of the source they belong to.
"""

from __future__ import annotations

from regtrail.fetch.context import Context
from regtrail.parsers import cac_pages
from scrapers import cac_lists
from scrapers.cac_genai import crawl as cac_genai
from scrapers.news import crawl as news


def crawl(context: Context) -> None:
    """Nothing to crawl on a schedule: this source only ingests URLs handed to it."""


def ingest(context: Context, urls: list[str]) -> None:
    """Fetch each URL, archive it, and parse it with the parser its content calls for."""
    for url in urls:
        document = context.fetch(url, purpose="document", expect="any")
        if document is None:
            continue
        if document.detected_type == "html":
            text = document.text()
            if 'id="BodyLabel"' in text:
                try:
                    genai = cac_genai.is_genai_notice(cac_pages.parse_notice(text, url))
                except cac_pages.PageParseError:
                    genai = False
                (cac_genai if genai else cac_lists).handle_notice(context, document)
            else:
                news.handle_article(context, document)
        else:
            notice = cac_lists.Notice(url=url, title="", pubtime=None)
            attachment = cac_lists.Attachment(label=None, file_name=url.rsplit("/", 1)[-1], url=url)
            cac_lists.parse_attachment(context, notice, attachment, document)
