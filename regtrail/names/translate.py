"""English names for Chinese organisation names: place + trade name in pinyin words + industry words +
legal form (北京月之暗面科技有限公司 -> Beijing Yuezhi Anmian Technology Co., Ltd.).

Pure functions over data given to them (places from the admin-code table, brands from the groups seed,
the glossary of regtrail.names.glossary), so they can be tested and measured without dbt.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import jieba
from pypinyin import Style, lazy_pinyin

from regtrail.names import ROMANISED, TRANSLATED
from regtrail.names.glossary import (
    BRANDS,
    FORMS,
    INDUSTRY,
    PLACE_READINGS,
    PLACE_SUFFIX_WORDS,
    PLACE_SUFFIXES,
    PLACES,
    REGIONS,
)

jieba.setLogLevel(logging.WARNING)

PUNCTUATION = str.maketrans({"（": "(", "）": ")", "，": ",", "、": ",", "·": " ", "　": " ", "－": "-", "．": ".",
                             "：": ":", "＆": "&", "“": "", "”": "", "《": "", "》": ""})
HAN = re.compile(r"[\u3400-\u9fff]")
HAN_RUN = re.compile(r"([\u3400-\u9fff]+)")
PAREN = re.compile(r"\(([^()]*)\)")
VOWEL_START = re.compile(r"^[aoe]")
# Where an organisation's name ends and one of its units begins: a company's legal form, a university or
# academy (重庆医科大学 | 附属第二医院; 中国中医科学院 | 中医药信息研究所); not 大学生, a student.
UNIT_BOUNDARY = re.compile(r"股份有限公司|有限责任公司|有限公司|科学院|医学院|大学(?!生)")
CONJUNCTIONS = ("与", "和", "及")
RARE_WORD = 50  # a word jieba's dictionary counts fewer times is one of its odd entries (通科技, 联网络)
_FORMS = sorted(FORMS, key=len, reverse=True)
_INDUSTRY = sorted(INDUSTRY, key=len, reverse=True)


@dataclass(frozen=True)
class Translator:
    """Translates names with a fixed set of places (Chinese name -> English) and brands (whole word -> English)."""

    places: Mapping[str, str] = field(default_factory=dict)
    brands: Mapping[str, str] = field(default_factory=dict)
    provinces: frozenset[str] = frozenset()  # also recognised inside the name's first word (北京东方 -> Beijing)

    def translate(self, name: str) -> tuple[str, str]:
        """(English name, `translated` or `romanised`): `romanised` when no glossary word, form or place applied."""
        text = re.sub(r"\s+", " ", name.translate(PUNCTUATION)).strip()
        words, used = self._name(text)
        return _join(words), (TRANSLATED if used else ROMANISED)

    def _name(self, text: str) -> tuple[list[str], bool]:
        """Words of a whole name: its parts between parentheses, the last text part carrying the form; a unit
        of a company (X有限公司常州分行) is the company's name followed by the unit's."""
        unit = _unit(text)
        if unit:
            company, _ = self._name(unit[0])
            rest, _ = self._name(unit[1])
            return company + rest, True
        pieces = PAREN.split(text)  # text, (inside), text, (inside), text
        last = max((i for i in range(0, len(pieces), 2) if pieces[i].strip()), default=len(pieces) - 1)
        words: list[str] = []
        used = False
        for index, piece in enumerate(pieces):
            if index % 2:
                inner, inner_used = self._parenthesised(piece)
                words.append(f"({inner})")
                used |= inner_used
                continue
            forms: list[str] = []
            if index == last and piece not in self.brands:
                piece, forms = _peel(piece, _FORMS, FORMS, single_last=True)
            if piece:
                part, part_used = self._part(piece, first=index == 0)
                words += _noun_last(part)
                used |= part_used
            words += forms
            used |= bool(forms)
        return words, used

    def _parenthesised(self, text: str) -> tuple[str, bool]:
        place = self._place(text)
        if place and place[1] == len(text):
            return place[0], True
        words, used = self._name(text)
        return _join(words), used

    def _part(self, text: str, first: bool) -> tuple[list[str], bool]:
        """Place (at the start of the name), then the trade name and industry words; a name starting with a
        brand that begins with a place name (北京大学, 中国移动) keeps the brand."""
        words: list[str] = []
        brand = self._brand(_segments(text)) if first and HAN.match(text) else None
        if brand:
            trade, _ = self._trade(text[brand[1]:], brand_first=False, named=True)
            return [brand[0], *trade], True
        while first and (place := self._place(text, regions=not words)):
            words.append(place[0])
            text = text[place[1]:]
        trade, used = self._trade(text, brand_first=first)
        return words + trade, used or bool(words)

    def _place(self, text: str, regions: bool = False) -> tuple[str, int] | None:
        """(English, length) of the place name `text` starts with: the longest run of its leading whole words
        that is a known place (阿里巴巴 does not start with the place 阿里); a region (华东) where `regions`."""
        if regions and text[:2] in REGIONS:
            return REGIONS[text[:2]], 2
        first = _segments(text)[0] if text else ""
        for size in range(2, len(first) - 1):  # a place and a brand read as one word: 青岛海尔 -> Qingdao, 海尔
            if self.places.get(first[:size]) and first[size:] in self.brands:
                return self.places[first[:size]], size
        ends, end = [], 0
        for word in _segments(text):
            end += len(word)
            if end > 12:
                break
            ends.append(end)
        for size in reversed(ends):
            english = self.places.get(text[:size])
            if english:
                return english, size
        for size in range(min(len(text) - 2, 5), 1, -1):
            if text[:size] in self.provinces or text[:size] in PLACES:
                return self.places[text[:size]], size
        return None

    def _trade(self, text: str, brand_first: bool, named: bool = False) -> tuple[list[str], bool]:
        """The trade name and industry words, as words: jieba's words in pinyin, syllables of a word joined,
        single characters paired; a brand in English when it is the first whole word(s); a whole word of the
        glossary or a place in English when a trade name comes before it, or when only such words follow."""
        out: list[str] = []
        used = False
        for run in HAN_RUN.split(text):
            if not run.strip():
                continue
            if not HAN.match(run):
                out += run.split()
                continue
            segments = _resegment([piece for segment in _segments(run) for piece in self._split_suffix(segment)])
            brand = self._brand(segments) if brand_first and not out else None
            if brand:
                out.append(brand[0])
                segments, used = segments[brand[2]:], True
            english = [self._english(segment) for segment in segments]
            for index in range(1, len(segments) - 1):  # 区块链 与 边缘计算: Blockchain and Edge Computing
                if segments[index] in CONJUNCTIONS and english[index - 1] and english[index + 1]:
                    english[index] = "and"
            pending: list[str] = []
            for index, segment in enumerate(segments):
                before = "".join(pending)
                # a trade name has two characters or more: 鑫 before 视觉 is part of it (Xinshijue, not Xin Vision)
                lone = len(before) == 1 and len(segment) == 2
                if english[index] and (named or bool(out) or len(before) > 1 or (not lone and all(english[index:]))):
                    out += [_pinyin(word) for word in _merge_singles(pending)] + [english[index]]
                    pending, used = [], True
                else:
                    pending.append(segment)
            out += [_pinyin(word) for word in _merge_singles(pending)]
        return out, used


    def _brand(self, segments: list[str]) -> tuple[str, int, int] | None:
        """(English, characters, words) of the longest run of leading whole words that is a brand, and of the
        brands that follow it word for word (天翼 爱音乐 -> Tianyi iMusic)."""
        for size in range(len(segments), 0, -1):
            joined = "".join(segments[:size])
            if joined in self.brands:
                more = self._brand(segments[size:]) if size < len(segments) else None
                if more:
                    return f"{self.brands[joined]} {more[0]}", len(joined) + more[1], size + more[2]
                return self.brands[joined], len(joined), size
        return None

    def _split_suffix(self, word: str) -> list[str]:
        """A word ending in a glossary word or brand after two characters or more, split there (工商银行 -> 工商,
        银行; 海尔集团 -> 海尔, 集团); after one character too where jieba's dictionary holds the word only as a
        rarity (通科技 -> 通, 科技; 联网络 -> 联, 网络), as a real word there (微电子) is read whole."""
        if len(word) < 3 or self._english(word) or word in self.brands:
            return [word]
        rare = _tokenizer().FREQ.get(word, 0) < RARE_WORD
        for size in range(len(word) - 1, 1, -1):
            head, tail = word[:-size], word[-size:]
            if len(head) == 1 and not rare:
                continue
            if _glossary(tail):
                return [head, tail]
        return [word]

    def _english(self, word: str) -> str | None:
        """English of a word made only of glossary words and places (中国移动通信 -> China Mobile Communication)."""
        if len(word) < 2:
            return None
        known = _glossary(word) or self.places.get(word)
        if known:
            return known
        best: list[list[str] | None] = [[]] + [None] * len(word)  # fewest pieces covering word[:end]
        for end in range(2, len(word) + 1):
            for start in range(0, end - 1):
                piece = word[start:end]
                english = _glossary(piece) or self.places.get(piece)
                before = best[start]
                if english and before is not None and (best[end] is None or len(before) + 1 < len(best[end])):
                    best[end] = [*before, english]
        return " ".join(best[-1]) if best[-1] else None


def _resegment(segments: list[str]) -> list[str]:
    """Words that together make a glossary word, joined (人力 资源 -> 人力资源: Human Resources); the last character
    of a single-character or rare word and the glossary word it begins with the next word, read as that glossary
    word (大 数据科技 -> 大数据 科技, 云润大 数据服务 -> 云润 大数据 服务: Big Data, not Da Data)."""
    out: list[str] = []
    index = 0
    while index < len(segments):
        word = segments[index]
        joined = next((size for size in (3, 2) if index + size <= len(segments)
                       and _glossary("".join(segments[index:index + size]))), 0)
        if joined:
            out.append("".join(segments[index:index + joined]))
            index += joined
            continue
        following = segments[index + 1] if index + 1 < len(segments) else ""
        borrowed = _borrow(word, following) if HAN.match(word) and len(following) > 1 else None
        if borrowed:
            out += borrowed
            index += 2
            continue
        out.append(word)
        index += 1
    return out


def _borrow(word: str, following: str) -> list[str] | None:
    """`word` and `following` re-cut where the last character of `word` (a single one, or the end of a word
    jieba's dictionary holds only as a rarity or not at all) starts a glossary word ending within `following`,
    the rest of `following` being a glossary word as well."""
    if len(word) > 1 and _tokenizer().FREQ.get(word, 0) >= RARE_WORD:
        return None
    for size in range(len(following), 0, -1):
        head, tail = word[-1] + following[:size], following[size:]
        if _glossary(head) and (not tail or (len(tail) > 1 and _glossary(tail))):
            return [piece for piece in (word[:-1], head, tail) if piece]
    return None


def _noun_last(words: list[str]) -> list[str]:
    """An adjective of the glossary ending a part of a name is its noun: 联通数据智能有限公司 is ... Data
    Intelligence Co., Ltd., 百川智能（北京）... is Baichuan Intelligence (Beijing) ..."""
    if words and (words[-1] == "Intelligent" or words[-1].endswith(" Intelligent")):
        return [*words[:-1], words[-1][: -len("Intelligent")] + "Intelligence"]
    return words


def _glossary(word: str) -> str | None:
    """English of a whole word of the glossary (industry word or form of more than one character)."""
    return INDUSTRY.get(word) or (FORMS.get(word) if len(word) > 1 else None)


def _unit(text: str) -> tuple[str, str] | None:
    """(organisation, unit) when a legal form, university or academy is followed by more name (a branch, an
    institute, a hospital), else None."""
    for match in UNIT_BOUNDARY.finditer(text):
        left, right = text[: match.end()], text[match.end():]
        if right.strip() and left.count("(") == left.count(")"):
            return left, right
    return None


def _peel(text: str, keys: list[str], table: Mapping[str, str], keep: int = 0,
          single_last: bool = False) -> tuple[str, list[str]]:
    """Strip glossary words from the end of `text` (longest first) while `keep` characters remain."""
    words: list[str] = []
    while True:
        for key in keys:
            if len(key) == 1 and (not single_last or words):
                continue
            if text.endswith(key) and len(text) - len(key) >= keep and (len(key) > 1 or len(text) > 2):
                words.insert(0, table[key])
                text = text[: -len(key)]
                break
        else:
            return text, words


@lru_cache(maxsize=1)
def _dictionary() -> tuple[jieba.Tokenizer, frozenset[str]]:
    """jieba's dictionary plus the glossary's words, brands and places, so that 人工智能, 律师事务所 or 硅基智能
    come out whole (a tokenizer of its own, jieba's default one is left as it is); and the brands jieba's
    dictionary lacks, which are read as unknown words where no brand applies."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    brands_only = frozenset(word for word in BRANDS if len(word) > 1 and not tokenizer.FREQ.get(word))
    for word in (*INDUSTRY, *FORMS, *BRANDS, *PLACES):
        if len(word) > 1:
            tokenizer.add_word(word)
    return tokenizer, brands_only


def _tokenizer() -> jieba.Tokenizer:
    return _dictionary()[0]


@lru_cache(maxsize=65536)
def _segments_cached(run: str) -> tuple[str, ...]:
    return tuple(_tokenizer().cut(run))


def _segments(run: str) -> list[str]:
    return list(_segments_cached(run))


def _merge_singles(words: list[str]) -> list[str]:
    """Runs of single characters read two by two (an odd last one joins the pair before it); a lone one joins
    the word after it (else the one before). A word of three characters or more that jieba's dictionary does
    not hold (its HMM guessed it: 睿途星耀) is read two by two as well."""
    tokenizer, brands_only = _dictionary()
    words = [piece for word in words for piece in
             (list(word) if len(word) >= 3 and HAN.match(word) and (not tokenizer.FREQ.get(word) or word in brands_only)
              else [word])]
    merged: list[str] = []
    pending = ""

    def flush(following: str | None) -> None:
        if len(pending) == 1:
            if following is not None:
                merged.append(pending + following)
                return
            if merged:
                merged[-1] += pending
            else:
                merged.append(pending)
        elif pending:
            pairs = [pending[i:i + 2] for i in range(0, len(pending), 2)]
            if len(pairs[-1]) == 1:
                pairs[-2:] = [pairs[-2] + pairs[-1]]
            merged.extend(pairs)
        if following is not None:
            merged.append(following)

    for word in words:
        if len(word) == 1:
            pending += word
            continue
        flush(word)
        pending = ""
    flush(None)
    return merged


def _pinyin(word: str, readings: Mapping[str, str] | None = None) -> str:
    """A word in pinyin, syllables joined (an apostrophe before a syllable starting with a, o or e), capitalised;
    `readings` overrides a character's syllable (the readings places take: 长治 Changzhi, 朝阳 Chaoyang)."""
    syllables = lazy_pinyin(word, style=Style.NORMAL, errors="default", v_to_u=False)
    if readings and len(syllables) == len(word):
        syllables = [readings.get(char, syllable) for char, syllable in zip(word, syllables, strict=True)]
    joined = syllables[0] + "".join(("'" if VOWEL_START.match(s) else "") + s for s in syllables[1:])
    return joined[:1].upper() + joined[1:]


def _join(words: Iterable[str]) -> str:
    text = " ".join(word.strip() for word in words if word and word.strip())
    return re.sub(r"\s+([),.])", r"\1", re.sub(r"\(\s+", "(", text))


LEGAL_FORM_SYLLABLES = {"youxian": "有限", "gongsi": "公司", "zeren": "责任", "gufen": "股份"}


def legal_form_pinyin(name: str, english: str) -> dict[str, int]:
    """Syllables of a legal form (有限 youxian, 公司 gongsi, 责任 zeren, 股份 gufen) that `english` carries in
    pinyin beyond what the rest of the Chinese name spells: {} for 天津又闲网络科技有限公司 -> Tianjin Youxian
    Network Technology Co., Ltd. (又闲 is the trade name), {"youxian": 1, "gongsi": 1} for a form left as pinyin."""
    letters = re.sub(r"[^a-z]", "", english.lower())
    rest = name
    for chinese in LEGAL_FORM_SYLLABLES.values():
        rest = rest.replace(chinese, " ")
    spelt = re.sub(r"[^a-z]", "", "".join(lazy_pinyin(rest, style=Style.NORMAL, errors="default")).lower())
    excess = {syllable: letters.count(syllable) - spelt.count(syllable) for syllable in LEGAL_FORM_SYLLABLES}
    return {syllable: count for syllable, count in excess.items() if count > 0}


def provinces_from_admin_codes(rows: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Names of the province-level divisions (北京市, 北京, 广东省, 广东, ...) of (adcode, name) rows."""
    names = set()
    for adcode, name in rows:
        if str(adcode).endswith("0000") and name:
            names.add(name)
            names.update(name[: -len(suffix)] for suffix in PLACE_SUFFIXES
                         if name.endswith(suffix) and len(name) - len(suffix) >= 2)
    return frozenset(names)


def places_from_admin_codes(rows: Iterable[tuple[str, str]]) -> Mapping[str, str]:
    """Place names (Chinese -> English) from (adcode, name) rows of the admin-code table.

    Provinces and cities are known with or without their suffix (深圳市, 深圳 -> Shenzhen); districts and
    counties only with it (余杭区 -> Yuhang District), as a bare district name is too often an ordinary word.
    A place's English is spelt when it is first read: a build reads a few of some 3,500.
    """
    parts: dict[str, tuple[str, str | None]] = {name: (name, None) for name in PLACES}
    for adcode, name in rows:
        if not name or name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            continue
        base = name
        for suffix in PLACE_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                base = name[: -len(suffix)]
                break
        if not str(adcode).endswith("00"):  # a district or county: its English names its kind
            parts.setdefault(name, (base, PLACE_SUFFIX_WORDS.get(name[len(base):])))
        else:
            parts.setdefault(name, (base, None))
            parts.setdefault(base, (base, None))
    return _Places(parts)


class _Places(Mapping[str, str]):
    """Place names -> English, from each name's (base name, English word of its kind or None)."""

    def __init__(self, parts: dict[str, tuple[str, str | None]]) -> None:
        self._parts = parts
        self._english: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        english = self._english.get(name)
        if english is None:
            base, kind = self._parts[name]
            short = PLACES.get(base) or _pinyin(base, PLACE_READINGS)
            english = self._english[name] = f"{short} {kind}" if kind else short
        return english

    def __contains__(self, name: object) -> bool:
        return name in self._parts

    def __iter__(self) -> Iterator[str]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)
