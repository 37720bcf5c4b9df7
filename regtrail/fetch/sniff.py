"""Decide what a body is from its bytes, check ZIP containers, and decode HTML text."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
import zlib

# Markers of web-application-firewall challenge pages served with status 200 (compared after NFKC).
WAF_MARKERS = ("知道创宇", "创宇盾", "yunaq", "waf-challenge", "__jsl_clearance", "安全验证", "访问验证")

# What the mirror writes into the properties of a document it invented (DOCX keywords, PDF /Keywords,
# a top-level JSON key): records parsed from such a document are marked synthetic in the warehouse.
SYNTHETIC_MARK = "regtrail:synthetic"

# Sum of the uncompressed sizes a ZIP container (DOCX, XLSX) may expand to before it counts as a bomb.
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024


def detect_type(body: bytes) -> str:
    """`docx`, `xlsx`, `zip`, `pdf`, `html`, `empty` or `unknown`, from the first bytes."""
    head = body[:2048].lstrip()
    if not body.strip():
        return "empty"
    if body.startswith(b"%PDF"):
        return "pdf"
    if body.startswith(b"PK\x03\x04"):
        if b"word/" in body[:65536] or b"[Content_Types].xml" in body[:2048]:
            return "docx" if b"word/" in body else "zip"
        return "xlsx" if b"xl/" in body[:65536] else "zip"
    lowered = head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<meta", b"<div")):
        return "html"
    return "unknown"


def is_synthetic(body: bytes) -> bool:
    """Whether a document carries `SYNTHETIC_MARK`: in docProps/core.xml (DOCX), the PDF info dictionary,
    or `"synthetic": true` at the top of a JSON object."""
    mark = SYNTHETIC_MARK.encode()
    if body.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                return mark in archive.read("docProps/core.xml")
        except (KeyError, zipfile.BadZipFile, zlib.error, OSError):
            return False
    if body.startswith(b"%PDF"):
        return b"/Keywords (" + mark + b")" in body
    if body.lstrip().startswith(b"{"):
        return re.search(rb'^\s*\{\s*"synthetic"\s*:\s*true', body) is not None
    return False


def check_zip(body: bytes, max_unzipped: int = MAX_UNZIPPED_BYTES) -> tuple[str, str] | None:
    """(error_kind, message) when a ZIP container is corrupt or expands beyond `max_unzipped`; else None.

    The declared sizes in the central directory are checked first; then every member is inflated
    in chunks (never held in memory) with the running total capped, so a directory that lies about
    sizes is caught too, and CRC errors show up as corruption.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            members = archive.infolist()
            declared = sum(m.file_size for m in members)
            if declared > max_unzipped:
                return "zip_bomb", (f"ZIP declares {declared} uncompressed bytes in {len(members)} members "
                                    f"({len(body)} bytes compressed); the limit is {max_unzipped}")
            total = 0
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(1 << 20):
                        total += len(chunk)
                        if total > max_unzipped:
                            return "zip_bomb", (f"ZIP expands beyond {max_unzipped} bytes (member {member.filename} "
                                                "is larger than its directory entry says)")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError) as exc:
        return "corrupt_zip", f"corrupt ZIP container: {exc}"
    return None


def normalize_for_match(text: str) -> str:
    """NFKC form for matching only (full-width letters, digits, spaces folded); payloads keep the original."""
    return unicodedata.normalize("NFKC", text)


def looks_like_waf_challenge(text: str) -> bool:
    """True when an HTML page is a firewall challenge rather than content."""
    folded = normalize_for_match(text).lower()
    return any(marker.lower() in folded for marker in WAF_MARKERS)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)
_GB_FAMILY = {"gbk", "gb2312", "gb_2312-80", "x-gbk", "gb18030", "cp936", "euc-cn", "hz-gb-2312"}
_CHINESE_GUESSES = _GB_FAMILY | {"big5", "big5hkscs", "cp950", "hz", "gb2312", "euc_cn"}


def declared_charset(body: bytes, content_type: str | None = None) -> str | None:
    """The charset the header or a `<meta>` declares (lower case), GB family widened to GB18030."""
    declared = None
    if content_type and "charset=" in content_type.lower():
        declared = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
    if not declared:
        match = _META_CHARSET.search(body[:4096])
        declared = match.group(1).decode("ascii").lower() if match else None
    return "gb18030" if declared in _GB_FAMILY else declared


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode HTML: BOM, declared charset (header or meta), UTF-8, then detection.

    GBK/GB2312 are read as their superset GB18030. Undeclared bytes that are not UTF-8 go to
    charset-normalizer; when it guesses any Chinese encoding (short GBK texts are often taken
    for Big5) and the bytes are valid GB18030, GB18030 wins: the sources are mainland pages.
    """
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(codec, errors="replace")
    declared = declared_charset(body, content_type)
    if declared:
        try:
            return body.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # imported on use: `regtrail parse` starts without it

    best = from_bytes(body).best()
    guess = best.encoding.lower().replace("-", "_") if best is not None else None
    if guess is None or guess.replace("_", "") in {g.replace("-", "").replace("_", "") for g in _CHINESE_GUESSES}:
        try:
            return body.decode("gb18030")
        except UnicodeDecodeError:
            pass
    return str(best) if best is not None else body.decode("utf-8", errors="replace")
