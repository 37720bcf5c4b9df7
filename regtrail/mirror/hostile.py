"""Hostile documents for tests and benchmarks, generated on the fly (nothing of this size is kept in git).

`docx_bomb` builds a small, well-formed DOCX whose `word/document.xml` inflates to many megabytes: a
filing-list table (header with 备案编号, then the same row over and over). It passes the download size
limit and the ZIP-bomb ratio checks of the fetcher, so only the parser's cost limits stand in its way.
"""

from __future__ import annotations

import io
import os
import zipfile

_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)
_HEADER = ("序号", "算法名称", "角色", "主体名称", "应用产品", "主要用途", "备案编号", "备注")


def _row(cells: tuple[str, ...]) -> str:
    return "<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{c}</w:t></w:r></w:p></w:tc>" for c in cells) + "</w:tr>"


def docx_bomb(inflated_bytes: int = 180 * 1024 * 1024, *, cell_text: str = "算法", padding_bytes: int = 0) -> bytes:
    """A DOCX whose document.xml is about `inflated_bytes` long (the default: 180 MB from a few hundred KB).

    `cell_text` fills the algorithm-name cell of every row (long text: few elements per byte);
    `padding_bytes` of incompressible media make the file itself that much larger on the wire.
    """
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_NS}><w:body>'
            "<w:p><w:r><w:t>附件</w:t></w:r></w:p>"
            "<w:p><w:r><w:t>境内深度合成服务算法备案清单（2024年1月）</w:t></w:r></w:p>"
            "<w:tbl>" + _row(_HEADER)).encode()
    row = _row(("1", cell_text, "服务技术支持者", "某公司", "某产品", "生成文本", "网信算备110000000000000240001号",
                "")).encode()
    tail = b"</w:tbl></w:body></w:document>"
    block = row * max(1, (1 << 20) // len(row))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        with archive.open("word/document.xml", "w") as member:
            member.write(head)
            written = len(head)
            while written + len(block) + len(tail) <= inflated_bytes:
                member.write(block)
                written += len(block)
            member.write(tail)
        if padding_bytes:
            archive.writestr(zipfile.ZipInfo("word/media/image1.bin"), os.urandom(padding_bytes),
                             compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()
