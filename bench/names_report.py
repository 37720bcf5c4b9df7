"""English names over the real registry: the name_en_source distribution, names carrying pinyin of a legal
form (a form left untranslated, which must not happen, told apart from a trade name whose pinyin merely holds
the same letters), and translated names drawn at random, or the most frequent ones, with their Chinese.
Prints figures, asserts nothing.

    .venv/bin/python bench/names_report.py [--sample 20] [--seed 22 [23 ...]] [--top 0] [--romanised]
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter

from regtrail.names import OFFICIAL, ROMANISED, TRANSLATED
from regtrail.names.data import english_names, official_names, shared_organisations, translator
from regtrail.names.translate import legal_form_pinyin

LETTERS = re.compile(r"youxian|gongsi|zeren|gufen", re.IGNORECASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--seed", type=int, nargs="+", default=[22])
    parser.add_argument("--top", type=int, default=0, help="also list the N organisations with most filings")
    parser.add_argument("--romanised", action="store_true", help="list every romanised name")
    args = parser.parse_args()
    started = time.perf_counter()
    organisations = shared_organisations()
    names = english_names(sorted(organisations), official_names(), translator())
    elapsed = time.perf_counter() - started
    sources = Counter(source for _, source in names.values())
    total = len(names)
    print(f"{total} organisations in ../shared ({elapsed:.1f} s)")
    for source, count in sources.most_common():
        print(f"  {source:<11} {count:>6}  {100 * count / total:5.1f}%")
    letters = {zh: en for zh, (en, _) in names.items() if LETTERS.search(en)}
    untranslated = {zh: en for zh, en in letters.items() if legal_form_pinyin(zh, en)}
    print(f"names with the letters Gongsi/Youxian/Zeren/Gufen: {len(letters)}")
    print(f"  legal form left untranslated (有限/公司/责任/股份 in pinyin): {len(untranslated)}")
    for zh, en in sorted(untranslated.items()):
        print(f"    {zh}  ->  {en}")
    print(f"  trade name whose pinyin holds those letters: {len(letters) - len(untranslated)}")
    for zh, en in sorted(letters.items()):
        if zh not in untranslated:
            print(f"    {zh}  ->  {en}")
    top = [name for name, _ in organisations.most_common(100)]
    print(f"official among the 100 with most filings and approvals: {sum(names[name][1] == OFFICIAL for name in top)}")
    translated = sorted(zh for zh, (_, source) in names.items() if source == TRANSLATED)
    for seed in args.seed:
        print(f"\n{args.sample} translated names drawn at random (seed {seed}):")
        for zh in random.Random(seed).sample(translated, min(args.sample, len(translated))):
            print(f"  {zh}  ->  {names[zh][0]}")
    if args.top:
        print(f"\nthe {args.top} organisations with most filings and approvals:")
        for zh, count in organisations.most_common(args.top):
            print(f"  {count:>4} {names[zh][1]:<10} {zh}  ->  {names[zh][0]}")
    if args.romanised:
        print("\nromanised:")
        for zh, (en, source) in sorted(names.items()):
            if source == ROMANISED:
                print(f"  {zh}  ->  {en}")


if __name__ == "__main__":
    main()
