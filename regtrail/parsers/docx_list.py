"""Reader of CAC algorithm-filing list attachments (DOCX made with WPS or Word).

A list attachment holds a paragraph ``附件``/``附件N``, the list title (e.g.
``境内深度合成服务算法备案清单（2023年8月）``) and one table whose first row is the header (序号,
算法名称, 角色 or 算法类别, 主体名称, 应用产品, 主要用途, 备案编号, 备注).

``word/document.xml`` is read with lxml directly (no python-docx) and each table is walked once at C
level, so a whole batch parses in milliseconds. Cells are mapped to header columns by grid position,
so ``w:gridSpan``, ``w:gridBefore`` and extra narrow grid columns never shift a value into the wrong
column; a ``w:vMerge`` continuation cell takes the value of the cell above; an empty 序号 cell whose
paragraph is auto-numbered (``w:numPr``) gets the number Word displays (the row's position).

Cell text rule (reproduces the reference CSV conversions of the real files): the text of each
paragraph, and of each line inside it (``w:br``/``w:cr``), is stripped of surrounding whitespace
(including NBSP, the ideographic space and zero-width characters), empty pieces are dropped and the
rest are joined with one space; ``w:tab`` is a space; deleted (``w:del``, ``w:moveFrom``) and hidden
(``w:vanish``) runs are left out; full-width punctuation is kept as is. A table nested in a cell gives
its paragraphs to that cell; each ``mc:AlternateContent`` is read once (its first ``mc:Choice``, else its
``mc:Fallback``); a row deleted with changes tracked (``w:trPr/w:del``) is left out.

A row is a filing only when its 备案编号, NFKC-normalised with whitespace and format characters removed,
is 网信算备 + digits + 号 (emitted in that form; the printed form is kept as ``filing_number_raw`` when
it differs). Any other row with text (a totals footer, a note) is a leftover, reported with its text in
``ParsedList.leftovers``; empty rows and repeated header rows are skipped. An XML part that declares a
DTD is refused, wherever the declaration sits.
"""

from __future__ import annotations

import io
import re
import zipfile
from posixpath import join as posix_join
from posixpath import normpath

from lxml import etree

from regtrail.parsers.docx_rows import HEADER_FIELDS, OUTSIDE_HEADER, ParsedList, _parse_body
from regtrail.parsers.docx_table import resolve_alternate_content
from regtrail.parsers.docx_xml import (
    _OFFICE_DOCUMENT_REL,
    _PKG_REL,
    _UNREAD_PROPERTIES,
    W_BASEDON,
    W_BODY,
    W_NUMID,
    W_NUMPR,
    W_PPR,
    W_STYLE,
    W_STYLEID,
    W_TYPE,
    W_VAL,
    DocumentTooLarge,
    DtdRefused,
    ListParseError,
)

PARSER_NAME = "cac_docx_list"
PARSER_VERSION = "2"

MAX_DOCUMENT_XML_BYTES = 64 * 1024 * 1024
"""Refuse a DOCX whose main document part is larger than this once uncompressed (the largest real list: 6 MB)."""

MAX_XML_ELEMENTS = 2_000_000
"""Refuse a part with more XML elements than this before building its tree (the largest real list has about
125,000; a tree costs roughly 200 bytes per element, a parsed cell more), so reading any DOCX stays under 1 GB."""

__all__ = [
    "HEADER_FIELDS", "MAX_DOCUMENT_XML_BYTES", "MAX_XML_ELEMENTS", "OUTSIDE_HEADER", "PARSER_NAME",
    "PARSER_VERSION", "DocumentTooLarge", "DtdRefused", "ListParseError", "ParsedList", "check_docx_cost",
    "check_xml_cost", "parse_list_docx",
]  # fmt: skip

# --------------------------------------------------------------------------------------------
# Package reading


def _check_magic(data: bytes) -> None:
    """Reject bytes that are obviously not a DOCX, naming what they look like."""
    if not data:
        raise ListParseError("empty document (0 bytes): expected a DOCX list attachment")
    if data.startswith(b"PK\x03\x04"):
        return
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf") or b"%PDF-" in data[:1024]:
        raise ListParseError("got a PDF document, not a DOCX: a PDF list needs the PDF parser")
    html_marks = (b"<html", b"<!doctype html", b"<head", b"<script", b"<body")
    if head.startswith(b"<") and any(m in head for m in html_marks):
        title = re.search(rb"<title[^>]*>(.*?)</title>", data[:16384], re.I | re.S)
        shown = title.group(1).decode("utf-8", "replace").strip()[:80] if title else ""
        raise ListParseError(
            f"got an HTML page of {len(data):,} bytes, not a DOCX" + (f"; page title: {shown!r}" if shown else "")
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ListParseError("got a legacy Word .doc (OLE2) or an encrypted document, not a DOCX")
    if data.startswith((b"PK\x05\x06", b"PK\x07\x08")):
        raise ListParseError("got an empty or split ZIP archive, not a DOCX")
    raise ListParseError(f"not a DOCX (not a ZIP archive): {len(data)} bytes starting with {data[:16]!r}")


def _read_member(zf: zipfile.ZipFile, name: str, *, count: bool = True) -> bytes:
    """Read one ZIP member, refusing anything larger than MAX_DOCUMENT_XML_BYTES uncompressed.

    zipfile never returns more than the declared size (a lying header ends in a CRC error) and only
    stored or deflated members are accepted, so the declared size bounds the memory used. With `count`
    (default) its XML elements are counted too (see check_xml_cost); without, the caller counts what it
    builds a tree from.
    """
    info = zf.getinfo(name)
    if info.file_size > MAX_DOCUMENT_XML_BYTES:
        raise DocumentTooLarge(
            f"{name} would uncompress to {info.file_size:,} bytes (limit {MAX_DOCUMENT_XML_BYTES:,}; "
            f"{info.compress_size:,} bytes compressed): refused as a possible ZIP bomb"
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ListParseError(f"{name} uses ZIP compression method {info.compress_type}; a DOCX never does")
    data = zf.read(info)
    if count:
        check_xml_cost(data, name)
    return data


def check_xml_cost(xml: bytes, name: str, limit: int = MAX_XML_ELEMENTS) -> None:
    """Raise DocumentTooLarge when `xml` holds more than `limit` elements (counted on the bytes, no tree built).

    Every element has one start tag and at most one end tag, so start tags minus end tags bound the
    element count from above (comments and processing instructions count too; a DOCX has few).
    """
    elements = xml.count(b"<") - xml.count(b"</")
    if elements > limit:
        raise DocumentTooLarge(
            f"{name} holds about {elements:,} XML elements (limit {limit:,}; {len(xml):,} bytes of XML read): "
            "refused before reading, its tree would need several GB of memory"
        )


def check_docx_cost(data: bytes, limit: int = MAX_XML_ELEMENTS) -> None:
    """Raise DocumentTooLarge when the main part of the DOCX `data` is too large to read; other errors pass.

    For readers that build the whole document (python-docx): call before handing them the bytes.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            main_part = _main_part_name(zf, names)
            info = zf.getinfo(main_part)
            if info.file_size > MAX_DOCUMENT_XML_BYTES:
                _read_member(zf, main_part)  # raises with the message
            if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                check_xml_cost(zf.read(info), main_part, limit)
    except DocumentTooLarge:
        raise
    except (ListParseError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError, ValueError,
            RuntimeError, NotImplementedError):
        return  # not a readable DOCX: the reader itself says why


def _xml_parser() -> etree.XMLParser:
    # No entity expansion, no network, no DTD loading; huge_tree stays off (depth/text-size limits).
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, collect_ids=False)


def _parse_xml(data: bytes, name: str) -> etree._Element:
    """The root of an XML part; a part declaring a DTD anywhere in its prolog is refused (the parser neither
    loads nor expands one, so refusing after the parse is safe)."""
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        if b"<!DOCTYPE" in data:  # e.g. an external DTD the parser refused to load
            raise DtdRefused(f"{name} declares a DTD, which a DOCX never does: refused ({exc})") from exc
        raise ListParseError(f"{name} is not well-formed XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DtdRefused(f"{name} declares a DTD or entities, which a DOCX never does: refused")
    return root


def _main_part_name(zf: zipfile.ZipFile, names: set[str]) -> str:
    """Name of the main document part: word/document.xml, else the officeDocument relationship target."""
    if "word/document.xml" in names:
        return "word/document.xml"
    if "_rels/.rels" in names:
        try:
            rels = _parse_xml(_read_member(zf, "_rels/.rels"), "_rels/.rels")
        except DtdRefused:
            raise
        except ListParseError:
            rels = None
        for rel in rels.iter(_PKG_REL) if rels is not None else ():
            if rel.get("Type") == _OFFICE_DOCUMENT_REL:
                target = normpath(rel.get("Target", "").lstrip("/"))
                if target in names:
                    return target
    shown = ", ".join(sorted(names)[:8]) or "none"
    raise ListParseError(f"ZIP archive has no word/document.xml, so it is not a DOCX (members: {shown})")


def _numbered_styles(zf: zipfile.ZipFile, names: set[str], main_part: str) -> frozenset[str]:
    """Paragraph style ids that carry list numbering (directly or through w:basedOn)."""
    styles_name = posix_join(main_part.rpartition("/")[0], "styles.xml")
    if styles_name not in names:
        return frozenset()
    try:
        root = _parse_xml(_read_member(zf, styles_name), styles_name)
    except DtdRefused:
        raise
    except ListParseError:  # unreadable styles: no numbered styles
        return frozenset()
    own: dict[str, bool | None] = {}  # style id -> numbering on/off, None when the style says nothing
    based_on: dict[str, str] = {}
    for style in root.iter(W_STYLE):
        sid = style.get(W_STYLEID)
        if style.get(W_TYPE) != "paragraph" or not sid:
            continue
        ppr = style.find(W_PPR)
        numpr = ppr.find(W_NUMPR) if ppr is not None else None
        num_id = numpr.find(W_NUMID) if numpr is not None else None
        own[sid] = None if num_id is None else (num_id.get(W_VAL) or "0") != "0"
        parent = style.find(W_BASEDON)
        if parent is not None and parent.get(W_VAL):
            based_on[sid] = parent.get(W_VAL)
    result = set()
    for sid in own:
        seen: set[str] = set()
        cur: str | None = sid
        while cur is not None and cur not in seen:
            seen.add(cur)
            if own.get(cur) is not None:
                if own[cur]:
                    result.add(sid)
                break
            cur = based_on.get(cur)
    return frozenset(result)


# --------------------------------------------------------------------------------------------
# Public entry point


def parse_list_docx(data: bytes) -> ParsedList:
    """Parse a CAC list attachment (DOCX bytes) into its heading fields and data rows.

    Raises ListParseError, with a message saying what was wrong, for anything that is not a DOCX
    holding a table with a 备案编号 column.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ListParseError(f"expected the document bytes, got {type(data).__name__}")
    data = bytes(data)
    _check_magic(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            main_part = _main_part_name(zf, names)
            xml = _read_member(zf, main_part, count=False)
            numbered_styles = _numbered_styles(zf, names, main_part)
    except ListParseError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError, ValueError) as exc:
        raise ListParseError(f"corrupt or truncated ZIP archive, cannot read the DOCX: {exc}") from exc
    except (RuntimeError, NotImplementedError) as exc:  # encrypted members, unsupported features
        raise ListParseError(f"cannot read the DOCX archive: {exc}") from exc

    # The regex is linear in the (size-capped) bytes; the element limit applies to the tree lxml will build.
    kept = _UNREAD_PROPERTIES.sub(b"", xml)
    check_xml_cost(kept, main_part)
    root = _parse_xml(kept, main_part)
    body = root.find(W_BODY)
    if body is None:
        raise ListParseError(f"{main_part} has no w:body: not a Word document")
    if b"AlternateContent" in xml:
        resolve_alternate_content(body)
    return _parse_body(body, numbered_styles)
