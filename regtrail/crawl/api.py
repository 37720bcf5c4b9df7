"""The one module a source imports: `from regtrail.crawl.api import ...` gives a crawler everything it uses.

A source is a folder `scrapers/<name>/` with `source.yml` and `crawl.py`; its `crawl(context)` fetches with
`context.fetch`, parses with the parsers named here, and hands what it found to `context.emit(record, key,
document=..., parser=<parser module>)` or `context.fail(document, error)`. A source that parses documents handed
over by `regtrail ingest`/`regtrail parse` also defines `accepts(document)` and `handle_document(context,
document)`. See docs/add-a-source.md.

Names are loaded on first use (PEP 562), so `regtrail parse` imports only what the document needs (no fetching
stack, no pydantic): a source module imports the parsers it uses at import time, and the types under
`TYPE_CHECKING`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what static readers see; at run time each name is imported on first use
    pass

_EXPORTS: dict[str, str] = {
    # the crawl context a source's `crawl(context)` receives, the document `context.fetch` returns, the config
    "Context": "regtrail.crawl.context:Context",
    "Document": "regtrail.fetch.document:Document",
    "SourceConfig": "regtrail.crawl.sources:SourceConfig",
    "Outlet": "regtrail.crawl.sources:Outlet",
    "source_config": "regtrail.crawl.source_cache:validated_config",
    # the record contract: one class per record type a source emits
    "records": "regtrail.log.records",
    # parsers (modules: each declares PARSER_NAME and PARSER_VERSION) and what they return or raise
    "cac_pages": "regtrail.parsers.cac_pages",
    "docx_list": "regtrail.parsers.docx_list",
    "genai_list": "regtrail.parsers.genai_list",
    "cancellation_notice": "regtrail.parsers.cancellation_notice",
    "news_article": "regtrail.parsers.news_article",
    "Attachment": "regtrail.parsers.cac_pages:Attachment",
    "Notice": "regtrail.parsers.cac_pages:Notice",
    "PageParseError": "regtrail.parsers.cac_pages:PageParseError",
    "CancellationNotice": "regtrail.parsers.cancellation_notice:CancellationNotice",
    "CancellationParseError": "regtrail.parsers.cancellation_notice:CancellationParseError",
    "ListedNotice": "regtrail.parsers.cancellation_notice:ListedNotice",
    "FeedEntry": "regtrail.parsers.news_article:FeedEntry",
    "NewsParseError": "regtrail.parsers.news_article:NewsParseError",
    "ParseError": "regtrail.parsers.errors:ParseError",
    "ParserId": "regtrail.parsers.errors:ParserId",
    # helpers: the CAC notice-page lists shared by the list sources and the generative-AI source
    "cac": "regtrail.crawl.cac",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, attribute = target.partition(":")
    value = importlib.import_module(module)
    value = getattr(value, attribute) if attribute else value
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
