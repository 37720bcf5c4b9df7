"""One row per organisation name: a romanisation (Hanyu Pinyin, pypinyin) for English-language readers.

dim_entities uses it where the reviewed seed entity_aliases has no English name. Words are the
pypinyin segmenter's phrases (four-character ones halved), with runs of single characters paired (most Chinese words have two; 省/市/区/县 stay with the place before them);
a corporate group's Chinese name from the seed is written as its English name (阿里巴巴 -> Alibaba),
so a company outside the seed that carries the group's name is found by the group's English name
too. Latin letters and digits are kept; full-width punctuation becomes ASCII.

A Python model: dbt cannot enforce a contract on it; dim_entities, which exposes the result, is
contracted (name_en not null).
"""

import re

import pyarrow as pa
from pypinyin import Style, lazy_pinyin
from pypinyin.seg.mmseg import seg

PUNCTUATION = str.maketrans({"（": "(", "）": ")", "，": ",", "、": ",", "·": " ", "　": " ", "－": "-", "．": "."})
PLACE_SUFFIXES = set("省市区县")
HAN = re.compile(r"[\u3400-\u9fff]")


def _syllables(word):
    return "".join(lazy_pinyin(word, style=Style.NORMAL, errors="default"))


def _han_words(text, groups):
    """Split a run of Han characters into words: known group names first, then pypinyin's phrases."""
    for zh, en in groups:
        at = text.find(zh)
        if at >= 0:
            return [*_han_words(text[:at], groups), (en, True), *_han_words(text[at + len(zh):], groups)]
    words, singles = [], []
    for piece in seg.cut(text):
        if piece in PLACE_SUFFIXES and words and not singles:
            words[-1] = (words[-1][0] + _syllables(piece), False)  # 深圳市 -> Shenzhenshi
            continue
        if len(piece) == 1:
            singles.append(piece)
            continue
        words += _pairs(singles)
        singles = []
        # a four-character phrase is two words (有限公司 -> Youxian Gongsi)
        parts = [piece[:2], piece[2:]] if len(piece) == 4 else [piece]
        words += [(_syllables(part).capitalize(), False) for part in parts]
    return words + _pairs(singles)


def _pairs(singles):
    """Single characters in a row, read two by two (with a following 省/市/区/县; an odd last one joins
    the pair before it)."""
    chunks, i = [], 0
    while i < len(singles):
        size = 3 if i + 2 < len(singles) and singles[i + 2] in PLACE_SUFFIXES else 2
        chunks.append(singles[i:i + size])
        i += size
    if len(chunks) > 1 and len(chunks[-1]) == 1:
        last = chunks.pop()
        chunks[-1] += last
    return [(_syllables("".join(chunk)).capitalize(), False) for chunk in chunks]


def romanise(name, groups=()):
    """`name` in Hanyu Pinyin words, e.g. 北京快手科技有限公司 -> Beijing Kuaishou Keji Youxian Gongsi."""
    text = name.translate(PUNCTUATION)
    out = []
    for part in re.split(r"([\u3400-\u9fff]+)", text):
        if not part:
            continue
        if HAN.match(part):
            out += [word for word, _ in _han_words(part, groups)]
        else:
            out.append(part)
    joined = " ".join(piece.strip() for piece in out if piece.strip())
    return re.sub(r"\s+([),.])", r"\1", re.sub(r"\(\s+", "(", joined))


def model(dbt, session):
    dbt.config(materialized="table")
    seed = dbt.ref("entity_aliases")
    groups = sorted({(zh, en) for zh, en in seed.project("group_name_zh, group_name_en").distinct().fetchall()
                     if zh and en}, key=lambda pair: -len(pair[0]))
    names = set()
    upstreams = (dbt.ref("int_filing_versions"), dbt.ref("int_genai_approvals"), dbt.ref("int_filing_cancellations"))
    for upstream in upstreams:  # the names dim_entities lists
        rows = upstream.filter("entity_name is not null").project("entity_name").distinct().fetchall()
        names.update(row[0] for row in rows)
    ordered = sorted(names)
    return pa.table({
        "entity_name": pa.array(ordered, pa.string()),
        "name_pinyin": pa.array([romanise(name, groups) for name in ordered], pa.string()),
    })
