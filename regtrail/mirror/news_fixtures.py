"""News pages and feeds for the mirror, written for this project (facts paraphrased, no copied text).

Three page shapes, on the outlets' own hosts (the mirror maps any https://HOST/… URL):
- `wire`: a wire-agency story republished by a newspaper site; date in `article:published_time`;
- `hk`: a Hong Kong daily; date only in JSON-LD (`NewsArticle.datePublished`);
- `sg`: a Singapore daily; only a visible local date ("Aug 6, 2024, 12:30 AM", Singapore time).
Each outlet has a feed (RSS 2.0 or Atom) listing its articles plus an unrelated item.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from email.utils import format_datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Article:
    url: str
    shape: str
    outlet: str
    headline: str
    published: dt.datetime  # aware, in the outlet's zone
    byline: str
    dateline: str
    paragraphs: tuple[str, ...]
    summary: str

    @property
    def host(self) -> str:
        return self.url.split("/")[2]


TOKYO, HONG_KONG, SINGAPORE = ZoneInfo("Asia/Tokyo"), ZoneInfo("Asia/Hong_Kong"), ZoneInfo("Asia/Singapore")

ARTICLES: tuple[Article, ...] = (
    Article(
        url="https://japannews.yomiuri.co.jp/business/tech/20230901-133512/",
        shape="wire", outlet="The Japan News",
        headline="China's internet regulator lists 110 deep synthesis algorithms from Huawei, Alibaba and others",
        published=dt.datetime(2023, 9, 1, 21, 5, tzinfo=TOKYO),
        byline="Reuters", dateline="BEIJING",
        paragraphs=(
            "BEIJING (Reuters) — China's cyberspace regulator on Friday published a second list of deep synthesis "
            "algorithms filed with it, naming 110 services from companies including Huawei and Alibaba.",
            "The Cyberspace Administration of China (CAC) said the filings were made under rules on so-called deep "
            "synthesis technology, which covers systems that generate or alter text, images, audio and video.",
            "Huawei's cloud and software units appear on the list alongside units of Alibaba, Baidu and Tencent, "
            "according to the regulator's notice.",
            "The rules, in force since January, require providers of such services to register their algorithms "
            "and to label synthetic content.",
        ),
        summary="The CAC published a list of 110 deep synthesis algorithms, including filings by Huawei and Alibaba.",
    ),
    Article(
        url="https://www.scmp.com/tech/big-tech/article/3233049/chinese-ai-chatbots-go-public-after-approval",
        shape="hk", outlet="South China Morning Post",
        headline="Baidu, SenseTime and other Chinese firms open AI chatbots to the public after approval",
        published=dt.datetime(2023, 8, 31, 23, 40, tzinfo=HONG_KONG),
        byline="Tech desk", dateline="",
        paragraphs=(
            "Baidu opened its Ernie Bot chatbot to the general public on Thursday, one of several Chinese "
            "artificial intelligence services allowed to launch after receiving government approval.",
            "SenseTime said its SenseChat service was also available, while start-ups Baichuan, Zhipu AI and "
            "MiniMax announced launches of their own models on the same day.",
            "ByteDance and Tencent were also reported to have obtained approval, under interim measures for "
            "generative AI services that took effect in mid-August.",
        ),
        summary="Several Chinese AI chatbots, including Baidu's Ernie Bot and SenseTime's SenseChat, went public.",
    ),
    Article(
        url="https://www.straitstimes.com/asia/east-asia/china-publishes-seventh-batch-of-deep-synthesis-filings",
        shape="sg", outlet="The Straits Times",
        headline="China publishes its largest batch yet of registered deep synthesis algorithms",
        published=dt.datetime(2024, 8, 6, 0, 30, tzinfo=SINGAPORE),
        byline="China correspondent", dateline="BEIJING",
        paragraphs=(
            "BEIJING – China's internet watchdog has released a seventh list of deep synthesis algorithms, with "
            "487 entries filed by companies ranging from tech giants to small developers.",
            "Baidu listed a portrait generator, Tencent a search feature for its WeChat app, and Alibaba's DingTalk "
            "an office assistant, while Douyin, NetEase and Xiaoice also filed new algorithms.",
            "The Cyberspace Administration of China has published such lists every few months since 2023.",
        ),
        summary="A seventh list of 487 deep synthesis filings names Baidu, Tencent, Alibaba's DingTalk and others.",
    ),
)

# Feed items that are not about the registry (the crawler's topic filter skips them).
OFF_TOPIC = {
    "japannews.yomiuri.co.jp": ("https://japannews.yomiuri.co.jp/sports/20230901-133400/",
                                "Baseball: late rally settles Friday's pennant race game"),
    "www.scmp.com": ("https://www.scmp.com/lifestyle/food-drink/article/3232990/dim-sum-guide",
                     "Where to find the best dim sum in Kowloon"),
    "www.straitstimes.com": ("https://www.straitstimes.com/singapore/weather-showers-expected",
                             "Afternoon showers expected across the island this week"),
}

FEEDS = {
    "japannews.yomiuri.co.jp": ("https://japannews.yomiuri.co.jp/feed/", "rss"),
    "www.scmp.com": ("https://www.scmp.com/rss/320663/feed", "rss"),
    "www.straitstimes.com": ("https://www.straitstimes.com/news/tech/rss.xml", "atom"),
}

_NOTE = "<!-- regtrail offline mirror: page written for the project's tests; not a copy of a published article -->"


def _paragraphs(article: Article) -> str:
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)


def article_page(article: Article) -> bytes:
    """The article page in its outlet's shape."""
    esc = html.escape
    head = [f'<meta charset="utf-8"><title>{esc(article.headline)} | {esc(article.outlet)}</title>',
            f'<link rel="canonical" href="{esc(article.url)}">',
            f'<meta property="og:site_name" content="{esc(article.outlet)}">',
            f'<meta property="og:title" content="{esc(article.headline)}">']
    if article.shape == "wire":
        head.append(f'<meta property="article:published_time" content="{article.published.isoformat()}">')
        body = f"""<article class="p-article">
<h1 class="p-article__title">{esc(article.headline)}</h1>
<div class="p-article__meta"><span class="credit">{esc(article.byline)}</span>
<time class="date">{article.published:%H:%M JST, %B %d, %Y}</time></div>
<div class="p-article__body">{_paragraphs(article)}</div>
<aside class="related"><p>Related: more technology news</p></aside>
</article>"""
    elif article.shape == "hk":
        ld = (f'{{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "{esc(article.headline)}", '
              f'"datePublished": "{article.published.isoformat()}", '
              f'"author": {{"@type": "Person", "name": "{esc(article.byline)}"}}, '
              f'"publisher": {{"@type": "Organization", "name": "{esc(article.outlet)}"}}}}')
        head.append(f'<script type="application/ld+json">{ld}</script>')
        body = f"""<main><div class="article-header"><h1 class="headline">{esc(article.headline)}</h1>
<p class="summary">{esc(article.summary)}</p>
<div class="author">{esc(article.byline)}</div></div>
<section class="article-body" itemprop="articleBody">{_paragraphs(article)}</section>
<div class="newsletter"><p>Sign up for our tech newsletter</p></div></main>"""
    else:
        stamp = f"{article.published:%b} {article.published.day}, {article.published:%Y}, {article.published:%I:%M %p}"
        body = f"""<div class="story"><h1 class="headline node-title">{esc(article.headline)}</h1>
<div class="group-info"><div class="byline">{esc(article.byline)}</div>
<div class="story-postdate">Published {stamp.replace(", 0", ", ")}</div></div>
<div class="ds-article-body">{_paragraphs(article)}</div>
<div class="read-more"><p>Read more stories from Asia</p></div></div>"""
    page = f"""<!DOCTYPE html>
{_NOTE}
<html lang="en"><head>{"".join(head)}</head>
<body><header><nav>Home · World · Business · Tech</nav></header>
{body}
<footer><p>© {esc(article.outlet)}</p></footer></body></html>
"""
    return page.encode("utf-8")


def feed(host: str) -> bytes:
    """The outlet's feed: RSS 2.0 or Atom, newest first."""
    url, kind = FEEDS[host]
    items = [a for a in ARTICLES if a.host == host]
    extra_url, extra_title = OFF_TOPIC[host]
    newest = max(a.published for a in items)
    entries = [(a.url, a.headline, a.summary, a.published) for a in items]
    entries.append((extra_url, extra_title, extra_title, newest - dt.timedelta(hours=3)))
    esc = html.escape
    if kind == "rss":
        rows = "".join(
            f"<item><title>{esc(t)}</title><link>{esc(u)}</link><guid>{esc(u)}</guid>"
            f"<description>{esc(s)}</description><pubDate>{format_datetime(p)}</pubDate></item>"
            for u, t, s, p in entries)
        text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{esc(host)}</title>'
                f"<link>https://{host}/</link><description>Latest news</description>{rows}</channel></rss>\n")
    else:
        rows = "".join(
            f'<entry><title>{esc(t)}</title><link href="{esc(u)}"/><id>{esc(u)}</id>'
            f"<updated>{p.isoformat()}</updated><summary>{esc(s)}</summary></entry>"
            for u, t, s, p in entries)
        text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>{esc(host)}</title><id>{esc(url)}</id><updated>{newest.isoformat()}</updated>{rows}</feed>\n")
    return text.encode("utf-8")
