"""HTML of the mirror's CAC pages: notice pages, the channel listing and robots.txt."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

STANDARD_PARAGRAPHS = (
    "根据《{rule}》，现公开发布{what}。相关备案信息可通过互联网信息服务算法备案系统"
    "（https://beian.cac.gov.cn）进行查询。",
    "如对公开发布的备案信息有异议，请发送邮件至 {email} 反映。",
)
OBJECTION_EMAIL = "beian-objection@mirror.invalid"  # placeholder: the real address is not recorded
RULES = {
    "deep_synthesis": ("互联网信息服务深度合成管理规定", "境内深度合成服务算法备案信息"),
    "algo_recommendation": ("互联网信息服务算法推荐管理规定", "境内互联网信息服务算法备案信息"),
    "genai_service": ("生成式人工智能服务管理暂行办法", "生成式人工智能服务已备案信息"),
}


def _page(title: str, body: str, page_id: str) -> bytes:
    """A CAC-style page shell around `body`, with the page-statistics script after it."""
    esc = html.escape(title)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="keywords" content="{esc}">
<title>{esc}_中央网络安全和信息化委员会办公室</title>
<link rel="stylesheet" href="/css/main.css">
</head>
<body>
<div class="header"><div class="logo"><a href="https://www.cac.gov.cn/">中国网信网</a></div></div>
<div class="container">
{body}
</div>
<div class="footer"><p>主办：中共中央网络安全和信息化委员会办公室
中华人民共和国国家互联网信息办公室</p></div>
<script type="text/javascript">
var _pageStat = {{siteId: "cac", pageId: "{page_id}", channel: "A093702"}};
(function () {{ var s = document.createElement("script"); s.async = true;
  s.src = "/js/pagestat.js?id=" + _pageStat.pageId; document.body.appendChild(s); }})();
</script>
</body>
</html>
""".encode()


def _page_id(url: str) -> str:
    return Path(urlsplit(url).path).stem


def notice_page(title: str, published: dt.datetime, list_type: str | None, attachments: Sequence[Any],
                url: str) -> bytes:
    """A notice page: title, #pubtime, #BodyLabel with the standard paragraphs and attachment links."""
    paragraphs: list[str] = []
    if list_type:
        rule, what = RULES[list_type]
        paragraphs += [p.format(rule=rule, what=what, email=OBJECTION_EMAIL) for p in STANDARD_PARAGRAPHS]
        paragraphs.append("特此公告。")
    else:
        paragraphs.append("现将有关信息予以公告。")
    parts = [f'<p style="text-indent: 2em;">{html.escape(p)}</p>' for p in paragraphs]
    parts.append('<p style="text-align: right;">国家互联网信息办公室</p>')
    parts.append(f'<p style="text-align: right;">{published.year}年{published.month}月{published.day}日</p>')
    for att in attachments:
        parts.append(f"<p>{html.escape(att.attachment_label)}</p>")
        parts.append(f'<p><a href="{html.escape(att.href)}">{html.escape(att.file_name)}</a></p>')
    body = f"""<div class="main">
<div class="main-title"><h1 class="title">{html.escape(title)}</h1></div>
<div class="xinxi"><span id="pubtime">{published:%Y年%m月%d日 %H:%M}</span>
<span id="source">来源：中国网信网</span></div>
<div class="main-content"><div id="BodyLabel">
{chr(10).join(parts)}
</div></div>
</div>"""
    return _page(title, body, _page_id(url))


def listing_page(items: list[tuple[str, str, dt.datetime]]) -> bytes:
    """The channel listing: `#loadingInfoPage li h5 a[title]` with `.times`, newest first.

    Link forms cycle through absolute, site-relative and protocol-relative URLs.
    """
    rows = []
    for i, (url, title, published) in enumerate(sorted(items, key=lambda item: item[2], reverse=True)):
        parts = urlsplit(url)
        href = (url, parts.path, f"//{parts.netloc}{parts.path}")[i % 3]
        esc = html.escape(title)
        rows.append(
            f'<li><h5><a href="{html.escape(href)}" title="{esc}" target="_blank">{esc}</a></h5>'
            f'<span class="times">{published:%Y-%m-%d}</span></li>'
        )
    body = f"""<div class="list">
<div class="list-title"><h2>算法备案</h2></div>
<ul id="loadingInfoPage">
{chr(10).join(rows)}
</ul>
<div class="page"><span class="current">1</span></div>
</div>"""
    return _page("算法备案", body, "A093702index_1")


ROBOTS = b"User-agent: *\nAllow: /\n"
