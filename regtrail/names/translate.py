"""English names for Chinese organisation names: place + trade name in pinyin words + industry words +
legal form (北京月之暗面科技有限公司 -> Beijing Yuezhi Anmian Technology Co., Ltd.).

Pure functions over data given to them (places from the admin-code table, brands from the groups seed,
the glossary of regtrail.names.glossary), so they can be tested and measured without dbt.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import jieba
from pypinyin import Style, lazy_pinyin

from regtrail.names.glossary import FORMS, INDUSTRY, PLACE_SUFFIX_WORDS, PLACE_SUFFIXES, PLACES

jieba.setLogLevel(logging.WARNING)

TRANSLATED, ROMANISED, OFFICIAL = "translated", "romanised", "official"
PUNCTUATION = str.maketrans({"（": "(", "）": ")", "，": ",", "、": ",", "·": " ", "　": " ", "－": "-", "．": ".",
                             "：": ":", "＆": "&", "“": "", "”": "", "《": "", "》": ""})
HAN = re.compile(r"[\u3400-\u9fff]")
HAN_RUN = re.compile(r"([\u3400-\u9fff]+)")
PAREN = re.compile(r"\(([^()]*)\)")
VOWEL_START = re.compile(r"^[aoe]")
LEGAL_FORM = re.compile(r"股份有限公司|有限责任公司|有限公司")
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
            if index == last:
                piece, forms = _peel(piece, _FORMS, FORMS, single_last=True)
            if piece:
                part, part_used = self._part(piece, first=index == 0)
                words += part
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
            trade, _ = self._trade(text[brand[1]:], brand_first=False)
            return [brand[0], *trade], True
        while first and (place := self._place(text)):
            words.append(place[0])
            text = text[place[1]:]
        trade, used = self._trade(text, brand_first=first)
        return words + trade, used or bool(words)

    def _place(self, text: str) -> tuple[str, int] | None:
        """(English, length) of the place name `text` starts with: the longest run of its leading whole words
        that is a known place (阿里巴巴 does not start with the place 阿里)."""
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

    def _trade(self, text: str, brand_first: bool) -> tuple[list[str], bool]:
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
            segments = _segments(run)
            brand = self._brand(segments) if brand_first and not out else None
            if brand:
                out.append(brand[0])
                segments, used = segments[brand[2]:], True
            segments = [piece for segment in segments for piece in self._split_suffix(segment)]
            english = [self._english(segment) for segment in segments]
            pending: list[str] = []
            for index, segment in enumerate(segments):
                named = bool(out) or len("".join(pending)) > 1
                if english[index] and (named or all(english[index:])):
                    out += [_pinyin(word) for word in _merge_singles(pending)] + [english[index]]
                    pending, used = [], True
                else:
                    pending.append(segment)
            out += [_pinyin(word) for word in _merge_singles(pending)]
        return out, used


    def _brand(self, segments: list[str]) -> tuple[str, int, int] | None:
        """(English, characters, words) of the longest run of leading whole words that is a brand."""
        for size in range(len(segments), 0, -1):
            joined = "".join(segments[:size])
            if joined in self.brands:
                return self.brands[joined], len(joined), size
        return None

    def _split_suffix(self, word: str) -> list[str]:
        """A word ending in a glossary word after two characters or more, split there (工商银行 -> 工商, 银行)."""
        if len(word) < 4 or self._english(word):
            return [word]
        for size in range(len(word) - 2, 1, -1):
            if _glossary(word[-size:]):
                return [word[:-size], word[-size:]]
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


def _glossary(word: str) -> str | None:
    """English of a whole word of the glossary (industry word or form of more than one character)."""
    return INDUSTRY.get(word) or (FORMS.get(word) if len(word) > 1 else None)


def _unit(text: str) -> tuple[str, str] | None:
    """(company, unit) when a legal form is followed by more name (a branch, an institute), else None."""
    for match in LEGAL_FORM.finditer(text):
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
def _tokenizer() -> jieba.Tokenizer:
    """jieba's dictionary plus the glossary's words, so that 人工智能 or 律师事务所 come out whole; a tokenizer of
    its own, jieba's default one is left as it is."""
    tokenizer = jieba.Tokenizer()
    for word in (*INDUSTRY, *FORMS):
        if len(word) > 1:
            tokenizer.add_word(word)
    return tokenizer


@lru_cache(maxsize=65536)
def _segments_cached(run: str) -> tuple[str, ...]:
    return tuple(_tokenizer().cut(run))


def _segments(run: str) -> list[str]:
    return list(_segments_cached(run))


def _merge_singles(words: list[str]) -> list[str]:
    """Runs of single characters read two by two (an odd last one joins the pair before it); a lone one joins
    the word after it (else the one before). A word of three characters or more that jieba's dictionary does
    not hold (its HMM guessed it: 睿途星耀) is read two by two as well."""
    dictionary = _tokenizer().FREQ
    words = [piece for word in words for piece in
             (list(word) if len(word) >= 3 and HAN.match(word) and not dictionary.get(word) else [word])]
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


def _pinyin(word: str) -> str:
    """A word in pinyin, syllables joined (an apostrophe before a syllable starting with a, o or e), capitalised."""
    syllables = lazy_pinyin(word, style=Style.NORMAL, errors="default", v_to_u=False)
    joined = syllables[0] + "".join(("'" if VOWEL_START.match(s) else "") + s for s in syllables[1:])
    return joined[:1].upper() + joined[1:]


def _join(words: Iterable[str]) -> str:
    text = " ".join(word.strip() for word in words if word and word.strip())
    return re.sub(r"\s+([),.])", r"\1", re.sub(r"\(\s+", "(", text))


def provinces_from_admin_codes(rows: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Names of the province-level divisions (北京市, 北京, 广东省, 广东, ...) of (adcode, name) rows."""
    names = set()
    for adcode, name in rows:
        if str(adcode).endswith("0000") and name:
            names.add(name)
            names.update(name[: -len(suffix)] for suffix in PLACE_SUFFIXES
                         if name.endswith(suffix) and len(name) - len(suffix) >= 2)
    return frozenset(names)


def places_from_admin_codes(rows: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Place names (Chinese -> English) from (adcode, name) rows of the admin-code table.

    Provinces and cities are known with or without their suffix (深圳市, 深圳 -> Shenzhen); districts and
    counties only with it (余杭区 -> Yuhang District), as a bare district name is too often an ordinary word.
    """
    places = dict(PLACES)
    for adcode, name in rows:
        if not name or name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            continue
        level = "district" if not str(adcode).endswith("00") else "city_or_province"
        base = name
        for suffix in PLACE_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                base = name[: -len(suffix)]
                break
        short = PLACES.get(base) or _pinyin(base)
        if level == "district":
            suffix = name[len(base):]
            english = f"{short} {PLACE_SUFFIX_WORDS[suffix]}" if suffix in PLACE_SUFFIX_WORDS else short
            places.setdefault(name, english)
        else:
            places.setdefault(name, short)
            places.setdefault(base, short)
    return places
