"""One-off documents: `regtrail ingest URL...` through the same fetcher and archive.

Nothing is crawled on a schedule. `regtrail.crawl.runner.ingest` fetches each URL under this source's name and
hands the document to the source that accepts it (`regtrail.crawl.handover`): CAC notice pages
(algorithm lists or generative-AI lists), list attachments, news articles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from regtrail.crawl.api import Context


def crawl(context: Context) -> None:
    """Nothing to crawl on a schedule: this source only ingests URLs handed to it."""
