"""Algorithm-recommendation filings: one CAC notice page that gains a DOCX list attachment per batch.

The crawl is the CAC list helper's (`api.cac`): the notice pages of `source.yml` and those its listing pages
announce, then every attachment, each row a `filing` record. Expected counts per batch come from `lists`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from regtrail.crawl.api import cac

if TYPE_CHECKING:
    from regtrail.crawl.api import Context


def crawl(context: Context) -> None:
    """Notice pages, then their list attachments."""
    cac.crawl_lists(context)


accepts = cac.accepts_list_document
handle_document = cac.handle_list_document
