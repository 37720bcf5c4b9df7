"""One door for a document handed over rather than crawled (`regtrail ingest URL`, `regtrail parse FILE`).

A source takes part by defining `accepts(document) -> bool` and `handle_document(context, document)`. The
sources are asked in name order; the first that accepts the document handles it. A source whose
`handle_document` raises a ParseError declines it (not its kind of document): the next source that accepts it
tries, and when none can read it, the first error is recorded as the parse failure, with the context of the
source that raised it. Sources sharing one handler (the CAC list sources) are asked once. Nothing here imports
pydantic or the fetching stack: `regtrail parse` starts here.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from regtrail.crawl.source_cache import SOURCES_DIR, validated_data
from regtrail.parsers.errors import ParseError

log = logging.getLogger("regtrail")


def handlers(sources_dir: Path = SOURCES_DIR) -> Iterator[tuple[str, ModuleType]]:
    """(source name, module) of every source that handles handed-over documents, in name order; a source
    whose config or code is broken is logged and left out."""
    seen: set[tuple[Any, Any]] = set()
    for path in sorted(sources_dir.glob("*/source.yml")):
        name = path.parent.name
        try:
            module = importlib.import_module(validated_data(name, sources_dir)["module"])
        except Exception as exc:  # noqa: BLE001 (one broken source never stops the others)
            log.error("source %s is left out: %s", name, exc)
            continue
        pair = (getattr(module, "accepts", None), getattr(module, "handle_document", None))
        if None in pair or pair in seen:
            continue
        seen.add(pair)
        yield name, module


def handle_document(document: Any, context_for: Callable[[str], Any], sources_dir: Path = SOURCES_DIR) -> bool:
    """Hand `document` to the sources that accept it (see the module's docstring); `context_for(source)` gives
    the context a source's code runs in. False when no source accepts it."""
    first: tuple[ParseError, Any] | None = None
    for name, module in handlers(sources_dir):
        if not module.accepts(document):
            continue
        context = context_for(name)
        try:
            module.handle_document(context, document)
        except ParseError as exc:
            log.info("%s: not read by source %s: %s", document.url, name, exc)
            first = first or (exc, context)
            if exc.final:
                break
            continue
        return True
    if first is None:
        return False
    error, context = first
    context.fail(document, error, **error.details)
    return True
