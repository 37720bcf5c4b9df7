"""Hostile HTML pages for tests and benchmarks, generated on the fly: deeply nested markup, control characters,
and news pages that claim a provenance they do not have.

`nested_notice` is a CAC notice page whose body is one chain of nested divs (each with a paragraph and a
span), ending in a real attachment link; `nested_article` a news article whose date containers and body
paragraphs nest the same way. Both are valid input: the parsers must read them, in time linear in their size.
"""

from __future__ import annotations

from html import escape

NOTICE_URL = "https://www.cac.gov.cn/2024-01/05/c_1700000000000000.htm"
ATTACHMENT_HREF = "/cms/downloadfile?fText=%E6%B8%85%E5%8D%95%EF%BC%882024%E5%B9%B41%E6%9C%88%EF%BC%89.docx"
ARTICLE_URL = "https://www.scmp.com/tech/policy/article/3200000/nested"
_NOTICE_LEVEL = "<div><span>说明</span>"
_ARTICLE_LEVEL = '<div class="date"><p>China lists algorithms.</p>'



def _nest(level: str, size: int, close: str = "</div>") -> tuple[str, str]:
    depth = max(1, size // (len(level.encode()) + len(close)))
    return level * depth, close * depth


def nested_notice(size: int) -> str:
    """A notice page of about `size` bytes: nested divs, then `附件1：<a …>清单.docx</a>` at the bottom."""
    opening, closing = _nest(_NOTICE_LEVEL, size)
    return ('<html><head><meta charset="utf-8"><title>公告</title></head><body>'
            '<div class="main-title"><h1 class="title">关于发布深度合成服务算法备案信息的公告</h1></div>'
            '<div id="pubtime">2024年01月05日 10:00</div><div id="BodyLabel">' + opening
            + f'<p>附件1：<a href="{ATTACHMENT_HREF}">境内深度合成服务算法备案清单（2024年1月）.docx</a></p>'
            + closing + "</div></body></html>")


def nested_article(size: int) -> str:
    """A news article of about `size` bytes whose date containers and paragraphs nest; the visible date is the
    innermost text."""
    opening, closing = _nest(_ARTICLE_LEVEL, size)
    return ('<html lang="en"><head><meta charset="utf-8"><title>Nested</title></head><body>'
            "<h1>China publishes a new batch of algorithm filings</h1><article>" + opening
            + '<span class="date">Jan 5, 2024, 10:30 AM</span>' + closing + "</article></body></html>")


def article(*, headline: str = "China's regulator lists more algorithms", canonical: str | None = None,
            site_name: str | None = None, body: str | None = None, head_extra: str = "") -> str:
    """A plain news article page; `canonical` and `site_name` are what the page claims about itself."""
    text = body or ("The Cyberspace Administration of China published its latest list of deep synthesis "
                    "algorithms on Friday, naming Huawei and Alibaba among the companies.")
    head = [f"<title>{escape(headline)}</title>", '<meta property="article:published_time" '
            'content="2023-09-01T21:05:00+08:00">', head_extra]
    if canonical is not None:
        head.append(f'<link rel="canonical" href="{escape(canonical)}">')
    if site_name is not None:
        head.append(f'<meta property="og:site_name" content="{escape(site_name)}">')
    return (f'<html lang="en"><head><meta charset="utf-8">{"".join(head)}</head><body><h1>{escape(headline)}</h1>'
            f"<article><p>{escape(text)}</p></article></body></html>")
