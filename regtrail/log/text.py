"""The text boundary of the record contract: every string a record holds passes `clean` (records.py calls it).

- Terminal escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL|ESC \\`, their one-byte C1 forms, and
  two-byte `ESC X`) are removed whole (an OSC string without its terminator loses only its introducer: the
  text after it stays); then every remaining control character: C0 except tab and newline,
  DEL, C1 (U+0080–U+009F), lone surrogates and the XML non-characters U+FFFE/U+FFFF. CR LF and a lone CR
  become a newline. What is left is valid in XML 1.0, JSON, Parquet and a terminal.
- Unicode NFC.
- Identifiers (filing numbers, 备案号/上线编号): NFKC (full-width digits and letters become ASCII), then every
  whitespace character (NBSP and the ideographic space included) and every format character (category Cf:
  zero-width space and joiners, BOM, soft hyphen, ...) removed. The record keeps the cleaned form as printed
  in the identifier's `<field>_raw` field when it differs (unless the parser filled it).
- Each string is cut to a cap (`cap_for`); the record lists what was cut in `truncated_fields` (the archived
  document keeps the whole text).

Only the standard library: `regtrail parse` must start fast.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

DEFAULT_CAP = 10_000
"""Characters kept of a text field (a cell, a title, a URL); the longest cell of the real lists is far shorter."""
BODY_CAP = 200_000
"""Characters kept of an article body."""
IDENTIFIER_CAP = 200
"""Characters kept of an identifier (a filing number is 31)."""
KEY_CAP = 2_000
"""Characters kept of a record key."""

_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[\x20-\x3f]*[\x40-\x7e]?"  # CSI: parameters, intermediates, final byte
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"  # OSC, DCS, SOS, PM, APC
    r"|\x1b[\x20-\x7e]?"  # any other escape and the byte it introduces
)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NEWLINES = re.compile(r"\r\n?")
# Whitespace, and the format characters (Unicode category Cf; tests check this list against unicodedata).
_NOT_IDENTIFIER = re.compile(
    "[\\s\u0085\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff\u00ad\u0600-\u0605\u061c"
    "\u06dd\u070f\u0890\u0891\u08e2\u180e\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\r]")


def strip_controls(text: str) -> str:
    """`text` without escape sequences and control characters (tab and newline kept; CR LF → newline)."""
    if not _UNSAFE.search(text):
        return text
    text = _NEWLINES.sub("\n", text)
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def clean(text: str) -> str:
    """The boundary for ordinary text: controls removed, NFC."""
    text = strip_controls(text)
    return text if text.isascii() or unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def identifier(text: str) -> str:
    """The identity form of an identifier: `clean`, NFKC, whitespace and format characters removed."""
    return _NOT_IDENTIFIER.sub("", unicodedata.normalize("NFKC", clean(text)))


def cap(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut to `limit` characters, and whether it was cut."""
    return (text, False) if len(text) <= limit else (text[:limit], True)


def cap_for(name: str, *, is_identifier: bool = False) -> int:
    """The cap of a field: identifiers `IDENTIFIER_CAP`, `body` `BODY_CAP`, everything else `DEFAULT_CAP`."""
    if is_identifier:
        return IDENTIFIER_CAP
    return BODY_CAP if name == "body" else DEFAULT_CAP


def clean_value(value: Any, limit: int, cut: list[bool]) -> Any:
    """`value` with every string in it (list items, dict keys and values, at any depth) cleaned and capped;
    `cut[0]` is set when a string was cut. Values of other types are returned as they are."""
    if isinstance(value, str):
        text, was_cut = cap(clean(value), limit)
        cut[0] = cut[0] or was_cut
        return text
    if isinstance(value, list):
        return [clean_value(item, limit, cut) for item in value]
    if isinstance(value, dict):
        return {clean_value(k, limit, cut): clean_value(v, limit, cut) for k, v in value.items()}
    return value


def clean_key(key: str) -> str:
    """A record key through the boundary: controls removed, NFC, at most `KEY_CAP` characters."""
    return cap(clean(key), KEY_CAP)[0]


def http_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL, else None (`javascript:`, `data:`, `file:`, relative ...)."""
    if not url:
        return None
    scheme, _, rest = url.strip().partition(":")
    return url.strip() if scheme.lower() in {"http", "https"} and rest.startswith("//") and len(rest) > 2 else None
