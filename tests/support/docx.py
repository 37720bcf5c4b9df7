"""DOCX test files rewritten part by part."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from lxml import etree


def edit_document(data: bytes, edit: Callable[[etree._Element], object]) -> bytes:
    """The DOCX `data` with word/document.xml passed through `edit` (every other part copied)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info)
            if info.filename == "word/document.xml":
                root = etree.fromstring(blob)
                edit(root)
                blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            dst.writestr(info, blob)
    return out.getvalue()
