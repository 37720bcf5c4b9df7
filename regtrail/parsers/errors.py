"""The parsers' errors: one base class, and the parser identity (name, version) every error carries.

A parser module declares `PARSER_NAME` and `PARSER_VERSION`; its error class names that module, so a source
records a parse failure with `context.fail(document, error)` and the parser's own name and version are
stamped on it (read when the failure is recorded, so a replay under a new version says so).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, ClassVar, NamedTuple


class ParserId(NamedTuple):
    """Which parser produced a record: its name and version, as the event log stores them."""

    name: str
    version: str


def parser_id(module: str) -> ParserId:
    """The identity a parser module declares (`PARSER_NAME`, `PARSER_VERSION`), read now."""
    found = importlib.import_module(module)
    return ParserId(found.PARSER_NAME, found.PARSER_VERSION)


def identity(parser: ModuleType | ParserId) -> ParserId:
    """A parser's identity: given as is, or read from its module."""
    return parser if isinstance(parser, ParserId) else ParserId(parser.PARSER_NAME, parser.PARSER_VERSION)


class ParseError(ValueError):
    """Bytes a parser cannot read as what it parses; the message says why, `parser` says which parser."""

    parser_module: ClassVar[str] = ""
    final: bool = False
    """True when no other parser should try the document either (refused for what reading it would cost)."""

    def refused(self) -> ParseError:
        """This error, marked final: the document was refused for its cost, no other parser tries it."""
        self.final = True
        return self
    details: dict[str, Any] = {}  # noqa: RUF012 (replaced, never mutated: see with_details)

    def with_details(self, **details: Any) -> ParseError:
        """This error with what a parse failure record says of the document besides the message."""
        self.details = {**self.details, **details}
        return self

    @property
    def parser(self) -> ParserId:
        return parser_id(self.parser_module)
