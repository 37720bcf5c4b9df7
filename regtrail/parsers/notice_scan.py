"""One streaming pass over a CAC notice page: what `cac_pages.parse_notice` needs, in time linear in the page.

lxml's HTML parser calls `NoticeScan` for each start tag, end tag and piece of text (its target interface: no
tree is built, so no depth limit either; libxml2's tree builder silently drops what is nested deeper than 256
levels). The text rules are those of BeautifulSoup's `get_text(strip=True)`, which the parser used before:
adjacent text pieces form one string (cut at tags and comments), each string is stripped and empty ones are
left out, comments and processing instructions are not text, and nothing inside script, style, template, rt
or rp is.

Each open element is a frame. Text goes to the innermost frame only; when an element ends it hands its short
text (at most `limit` + 1 characters) and whether it holds a link to its parent, so every element learns both
in constant time. Only the few elements whose whole text is needed (the heading candidates, `#pubtime`, the
attachment links) collect every string under them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HIDDEN = frozenset({"script", "style", "template", "rt", "rp"})
LABEL_TAGS = frozenset({"p", "div", "span"})


@dataclass
class Frame:
    tag: str
    position: int  # start-tag order in the document
    hidden: bool
    in_body: bool
    main_title: bool  # this element or an ancestor has class main-title
    short: str = ""
    longer: bool = False
    has_link: bool = False
    collectors: list[list[str]] = field(default_factory=list)  # the full texts this element collects


@dataclass
class Link:
    position: int
    href: str
    label_before: str | None
    strings: list[str]


class NoticeScan:
    """lxml parser target collecting the heading, `#pubtime`, and the links and label paragraphs of `#BodyLabel`."""

    def __init__(self, limit: int, label_of: Any) -> None:
        self.limit = limit
        self.label_of = label_of  # short text -> label (`附件N`) or None
        self.stack: list[Frame] = [Frame("#document", -1, False, False, False)]
        self.pending: list[str] = []
        self.count = 0
        self.headings: list[list[str] | None] = [None, None, None]  # .main-title h1.title, h1.title, h1
        self.pubtime: list[str] | None = None
        self.body_seen = False
        self.links: list[Link] = []
        self.label: str | None = None
        self.label_position = -1
        self.active: list[list[str]] = []  # collectors of the open elements, innermost last

    # --- the target interface

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self._flush()
        parent = self.stack[-1]
        classes = (attrib.get("class") or "").split()
        in_body = parent.in_body
        if not self.body_seen and attrib.get("id") == "BodyLabel":
            self.body_seen = in_body = True
        frame = Frame(tag, self.count, parent.hidden or tag in HIDDEN, in_body,
                      parent.main_title or "main-title" in classes)
        self.count += 1
        if tag == "h1":
            kinds = (frame.main_title and "title" in classes, "title" in classes, True)
            for index, kind in enumerate(kinds):
                if kind and self.headings[index] is None:
                    self.headings[index] = self._collect(frame)
        if self.pubtime is None and attrib.get("id") == "pubtime":
            self.pubtime = self._collect(frame)
        if in_body and tag == "a" and attrib.get("href"):
            self.links.append(Link(frame.position, str(attrib["href"]), self.label, self._collect(frame)))
        self.stack.append(frame)

    def end(self, tag: str) -> None:
        self._flush()
        if len(self.stack) == 1:
            return
        frame = self.stack.pop()
        for _ in frame.collectors:
            self.active.pop()
        parent = self.stack[-1]
        if frame.in_body and frame.tag in LABEL_TAGS and not frame.has_link and not frame.longer:
            label = self.label_of(frame.short)
            if label is not None and frame.position > self.label_position:
                self.label, self.label_position = label, frame.position
        parent.has_link = parent.has_link or frame.has_link or frame.tag == "a"
        self._add_short(parent, frame.short, frame.longer)

    def data(self, text: str) -> None:
        self.pending.append(text)

    def comment(self, text: str) -> None:
        self._flush()

    def pi(self, target: str, data: str | None = None) -> None:
        self._flush()

    def doctype(self, *args: Any) -> None:
        self._flush()

    def close(self) -> NoticeScan:
        self._flush()
        while len(self.stack) > 1:
            self.end(self.stack[-1].tag)
        return self

    # --- helpers

    def _collect(self, frame: Frame) -> list[str]:
        strings: list[str] = []
        frame.collectors.append(strings)
        self.active.append(strings)
        return strings

    def _flush(self) -> None:
        if not self.pending:
            return
        text = "".join(self.pending).strip()
        self.pending.clear()
        frame = self.stack[-1]
        if not text or frame.hidden:
            return
        self._add_short(frame, text, False)
        for strings in self.active:
            strings.append(text)

    def _add_short(self, frame: Frame, text: str, longer: bool) -> None:
        if not text and not longer:
            return
        joined = frame.short + text
        frame.longer = frame.longer or longer or len(joined) > self.limit
        frame.short = joined[:self.limit]

    def heading(self) -> list[str] | None:
        """The strings of the first `.main-title h1.title`, else `h1.title`, else `h1`."""
        return next((h for h in self.headings if h is not None), None)

    def attachments(self) -> list[Link]:
        """Links of the body in document order, each with the label in force where it starts: a label paragraph
        holds no link, so every label paragraph started before a link has ended (and been counted) by then."""
        return sorted(self.links, key=lambda link: link.position)


def scan_notice(html: str, limit: int, label_of: Any) -> NoticeScan:
    """Run the scan over a page (`str`; an XML declaration in it is fine)."""
    from lxml import etree

    scan = NoticeScan(limit, label_of)
    parser = etree.HTMLParser(target=scan)
    parser.feed(html)
    parser.close()
    return scan
