"""WordprocessingML vocabulary shared by the DOCX list reader: element names, tag sets, text patterns, errors."""

from __future__ import annotations

import re
import unicodedata

from regtrail.parsers.errors import ParseError

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_MC_ALTERNATE = _MC + "AlternateContent"
MC_CHOICE = _MC + "Choice"
MC_FALLBACK = _MC + "Fallback"
_OFFICE_DOCUMENT_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"

W_BODY = _W + "body"
W_TBL = _W + "tbl"
W_TR = _W + "tr"
W_TC = _W + "tc"
W_P = _W + "p"
W_R = _W + "r"
W_T = _W + "t"
W_TAB = _W + "tab"
W_BR = _W + "br"
W_CR = _W + "cr"
W_NO_BREAK_HYPHEN = _W + "noBreakHyphen"
W_PPR = _W + "pPr"
W_RPR = _W + "rPr"
W_TCPR = _W + "tcPr"
W_TRPR = _W + "trPr"
W_DEL = _W + "del"
W_TBLGRID = _W + "tblGrid"
W_GRIDCOL = _W + "gridCol"
W_GRIDSPAN = _W + "gridSpan"
W_GRIDBEFORE = _W + "gridBefore"
W_VMERGE = _W + "vMerge"
W_HMERGE = _W + "hMerge"
W_TBLHEADER = _W + "tblHeader"
W_VANISH = _W + "vanish"
W_NUMPR = _W + "numPr"
W_NUMID = _W + "numId"
W_PSTYLE = _W + "pStyle"
W_VAL = _W + "val"
W_W = _W + "w"
W_STYLE = _W + "style"
W_STYLEID = _W + "styleId"
W_TYPE = _W + "type"
W_BASEDON = _W + "basedOn"

# Containers whose runs are part of the paragraph text (tracked insertions, hyperlinks, structured
# tags, simple fields, ...). Anything else (w:del, w:moveFrom, properties, bookmarks, drawings,
# maths) contributes no text.
_RUN_CONTAINERS = frozenset(
    _W + tag
    for tag in (
        "ins", "moveTo", "hyperlink", "smartTag", "sdt", "sdtContent", "customXml", "fldSimple", "dir", "bdo",
    )
)  # fmt: skip
# Wrappers that may hold table rows, cells or paragraphs.
_BLOCK_CONTAINERS = frozenset(_W + tag for tag in ("sdt", "sdtContent", "customXml", "ins", "moveTo"))
_FALSE_VALUES = frozenset(("0", "false", "off", "none"))

# Elements the one-pass table walk cannot read correctly: a cell containing one is re-read by the
# careful per-paragraph path. lxml skips names absent from a document at no cost, so the common case
# pays nothing for them.
_CAREFUL_TAGS = frozenset(
    (
        W_VANISH,
        _W + "specVanish",
        W_DEL,
        _W + "moveFrom",
        _W + "txbxContent",
        _W + "ruby",
    )
)
_WALK_TAGS = (
    W_TR, W_TC, W_P, W_T, W_TAB, W_BR, W_CR, W_NO_BREAK_HYPHEN, W_GRIDSPAN, W_VMERGE, W_HMERGE, W_GRIDBEFORE,
    W_TBLHEADER, W_NUMID, W_TBL, *_CAREFUL_TAGS,
)  # fmt: skip
_WALK_TAGS_WITH_STYLES = (*_WALK_TAGS, W_PSTYLE)



def _unread_block(name: bytes, keep: list[bytes]) -> bytes:
    """A `<w:NAME>...</w:NAME>` element holding none of `keep` and no nested `w:NAME...` (a tracked change)."""
    guard = b"|".join([b"/w:" + name + b">", b"w:" + name, *keep])
    return b"<w:" + name + b">[^<]*+(?:<(?!" + guard + b")[^<]*+)*+</w:" + name + b">"  # possessive: no backtracking


# Property elements no path of this reader looks at: run properties without hidden text, paragraph
# properties without numbering or style, cell properties without spans or merges, row property
# exceptions. WPS writes them on every run, paragraph and cell: in the largest real list they are most of
# its 6.2 MB of XML. They are cut from the bytes before lxml builds the tree (about 5x less tree to
# build); only whole property elements go, never text or structure, and when a writer uses another
# namespace prefix than `w:` nothing is cut (slower, same result).
_UNREAD_PROPERTIES = re.compile(
    b"|".join(
        (
            _unread_block(b"rPr", [b"w:vanish", b"w:specVanish"]),
            _unread_block(b"pPr", [b"w:numPr", b"w:pStyle"]),
            _unread_block(b"tcPr", [b"w:gridSpan", b"w:vMerge", b"w:hMerge"]),
            _unread_block(b"tblPrEx", []),
        )
    )
)

# Stripped at the ends of every text piece besides str.strip()'s whitespace (which covers NBSP and
# the ideographic space).
_EXTRA_STRIP = "\u200b\u200c\u200d\u2060\ufeff"
_WS_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_BATCH_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月")
_LABEL_RE = re.compile(r"^附件[0-9]*[:：]?$")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_FILING_NUMBER_RE = re.compile(r"网信算备[0-9]+号")


def filing_identity(text: str) -> str:
    """A 备案编号 as one identity: NFKC (full-width digits become ASCII), whitespace and format characters
    (NBSP, zero-width spaces and joiners, BOM) removed. The common, already clean case costs one regex match."""
    if _FILING_NUMBER_RE.fullmatch(text):
        return text
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")


def is_filing_number(identity: str) -> bool:
    """Whether a normalised 备案编号 (see filing_identity) is 网信算备 + ASCII digits + 号."""
    return _FILING_NUMBER_RE.fullmatch(identity) is not None


class ListParseError(ParseError):
    """The bytes are not a CAC list attachment that can be read (the message says why)."""

    parser_module = "regtrail.parsers.docx_list"


class DtdRefused(ListParseError):
    """An XML part of the DOCX declares a DTD (never in a real DOCX): the whole document is refused."""


class DocumentTooLarge(ListParseError):
    """Refused for what reading it would cost (inflated size, element count): no other parser should try it."""

    final = True
