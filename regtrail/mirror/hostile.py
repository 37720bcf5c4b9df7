"""Hostile documents for tests and benchmarks, generated on the fly (nothing of this size is kept in git).

`docx_bomb` builds a small, well-formed DOCX whose `word/document.xml` inflates to many megabytes: a
filing-list table (header with 备案编号, then the same row over and over). It passes the download size
limit and the ZIP-bomb ratio checks of the fetcher, so only the parser's cost limits stand in its way.
`pdf_bomb` builds a PDF whose FlateDecode content stream inflates to gigabytes (or, smaller, a flood of
text objects); `pdf_many_pages` a PDF of thousands of pages. Both are written byte by byte (no PDF library).
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib

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


_TEXT_OPERATORS = b"BT /F1 9 Tf 40 800 Td (regtrail hostile text) Tj ET\n"


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF whose object `n` (1-based) is `objects[n - 1]`, object 1 the catalog, with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _deflate_repeated(block: bytes, times: int) -> bytes:
    """A zlib stream of `block` repeated `times` times, built without compressing it more than twice: each
    full-flushed block compresses to the same bytes, which are repeated (the bomb's inflated size costs nothing)."""
    compressor = zlib.compressobj(9)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)  # the 2-byte header, then a block
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(times):
        checksum = zlib.adler32(block, checksum)
    return first + again * (times - 1) + b"\x03\x00" + checksum.to_bytes(4, "big")  # empty final block, Adler-32


def _page_objects(contents: bytes, pages: int) -> list[bytes]:
    kids = b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
    return [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            contents,
            *([b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 3 0 R >> >> >>"] * pages)]


def pdf_bomb(inflated_bytes: int = 1024 * 1024 * 1024, *, operators: bytes = _TEXT_OPERATORS,
             padding_bytes: int = 0) -> bytes:
    """A one-page PDF whose FlateDecode content stream inflates to about `inflated_bytes` of `operators`
    (the default: 1 GiB of text-showing operators from about 3 MB; smaller sizes make a text-object flood).
    `padding_bytes` of incompressible data in an unfiltered stream make the file that much larger on the wire."""
    block = operators * max(1, (1 << 20) // len(operators))
    data = _deflate_repeated(block, max(1, inflated_bytes // len(block)))
    contents = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data)
    objects = _page_objects(contents, 1)
    if padding_bytes:
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (padding_bytes, os.urandom(padding_bytes)))
    return _pdf(objects)


def pdf_many_pages(pages: int = 5_000) -> bytes:
    """A PDF of `pages` pages sharing one small content stream (about 120 bytes a page on the wire)."""
    contents = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(_TEXT_OPERATORS), _TEXT_OPERATORS)
    return _pdf(_page_objects(contents, pages))
