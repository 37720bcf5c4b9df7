"""Facts about every element of a parsed HTML tree, computed in one pass (time linear in the page).

Asking each element for its text (`get_text`) walks its whole subtree: on nested
markup that is quadratic in the page size. These functions walk the tree once, from the last node to the first
(each child before its parent), and hand every element its answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # bs4 is imported where pages are parsed
    from bs4 import Tag


def text_prefixes(root: Tag, limit: int, separator: str = "") -> dict[int, tuple[str, bool]]:
    """For every element under `root` (by `id`): the start of `get_text(separator, strip=True)`, at most
    `limit` characters, and whether the whole text is longer than that."""
    from bs4 import CData, NavigableString, Tag

    texts: dict[int, tuple[str, bool]] = {}
    for node in reversed(list(root.descendants)):
        parent = node.parent
        if isinstance(node, Tag):
            part, longer = texts.setdefault(id(node), ("", False))
        elif type(node) in (NavigableString, CData):  # the strings get_text reads (no comments, no scripts)
            part, longer = node.strip(), False
        else:
            continue
        if not part and not longer:
            continue
        after, after_longer = texts.get(id(parent), ("", False))
        joined = f"{part}{separator}{after}" if part and after else part or after
        texts[id(parent)] = (joined[:limit], longer or after_longer or len(joined) > limit)
    return texts

