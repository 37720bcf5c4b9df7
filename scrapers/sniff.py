"""Decide what a body is from its bytes, and decode HTML text."""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

# Markers of web-application-firewall challenge pages served with status 200.
WAF_MARKERS = ("知道创宇", "创宇盾", "yunaq", "waf-challenge", "__jsl_clearance", "安全验证", "访问验证")


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


def looks_like_waf_challenge(text: str) -> bool:
    """True when an HTML page is a firewall challenge rather than content."""
    return any(marker in text for marker in WAF_MARKERS)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", re.I)


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode HTML using the declared charset (header or meta), else detection; GBK read as GB18030."""
    declared = None
    if content_type and "charset=" in content_type.lower():
        declared = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
    if not declared:
        match = _META_CHARSET.search(body[:4096])
        declared = match.group(1).decode("ascii").lower() if match else None
    if declared in {"gbk", "gb2312", "gb_2312-80", "x-gbk"}:
        declared = "gb18030"
    if declared:
        try:
            return body.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(body).best()
        return str(best) if best is not None else body.decode("utf-8", errors="replace")
