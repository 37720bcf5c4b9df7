"""Text every writer can take, whatever a record holds (docs/reliability.md, "Outputs").

The parsers clean what they emit, but the log keeps old events as they were written, so each writer
defends itself here:

- `clip`: a text field contributes at most a fixed number of characters to the report and the feeds
  (`REPORT_FIELD_CHARS`, `FEED_FIELD_CHARS`); longer text ends with an ellipsis.
- `xml_text`: characters XML 1.0 cannot hold (C0 controls but tab and line ends, surrogates, U+FFFE/U+FFFF)
  are removed, and C1 controls with them; a feed never fails on a string.
- `visible`: for a terminal, control, escape and bidirectional-override characters become visible escapes
  (`\\x1b`, `\\u202e`); tab and newline stay.
- `csv_cell`: `visible`, then the OWASP rule against formula injection: a cell beginning with `=`, `+`, `-`,
  `@`, tab or carriage return gets a leading single quote, so a spreadsheet shows it as text.
- `json_text`: JSON whose strings carry those characters as `\\uXXXX` escapes (the same values once parsed).
- `http_url`: a link only when it is http(s).
"""

from __future__ import annotations

import re
from typing import Any

REPORT_FIELD_CHARS = 2_000  # characters of one text field in the HTML report (the archive keeps the whole text)
FEED_TITLE_CHARS = 300  # characters of an Atom entry's title
FEED_FIELD_CHARS = 2_000  # characters of one field in an Atom entry's summary
ELLIPSIS = "…"

# XML 1.0 Char excludes these; C1 controls (U+0080-U+009F) are allowed but discouraged, and removed too.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What a terminal may act on or hide: C0 (but tab, newline), DEL, C1, zero-width and bidirectional controls,
# line/paragraph separators, the byte-order mark.
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff"
_TERMINAL_UNSAFE = re.compile(f"[{_UNSAFE}]")
_JSON_UNSAFE = re.compile(f"[{_UNSAFE}]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clip(text: str | None, limit: int) -> str | None:
    """`text` cut to `limit` characters (the last one an ellipsis) when longer; None stays None."""
    if text is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def clip_value(value: Any, limit: int) -> Any:
    """`clip` for strings (and the strings of lists); other values as they are."""
    if isinstance(value, str):
        return clip(value, limit)
    if isinstance(value, list | tuple):
        return [clip_value(v, limit) for v in value]
    return value


def xml_text(value: Any, limit: int | None = None) -> str:
    """A string XML 1.0 can hold: `value` as text, clipped to `limit`, without the characters XML refuses."""
    text = "" if value is None else str(value)
    if limit is not None:
        text = clip(text, limit) or ""
    return _NOT_XML.sub("", text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every character a terminal could act on shown as an escape (`\\x1b`, `\\u202e`)."""
    return _TERMINAL_UNSAFE.sub(_escape, text)


def csv_cell(value: Any) -> Any:
    """A CSV cell: strings made visible and neutralised against formula injection; numbers as they are."""
    if not isinstance(value, str):
        return value
    text = visible(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def json_text(text: str) -> str:
    """JSON text (from json.dumps) with the terminal-unsafe characters of its strings as `\\uXXXX` escapes."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def http_url(value: str | None) -> str | None:
    """`value` when it is an http(s) URL, else None (no `javascript:`, `data:` or `file:` link is written)."""
    if not value:
        return None
    text = value.strip()
    return text if re.match(r"(?i)https?://[^\s/?#]", text) and not _NOT_XML.search(text) else None
