"""English names over the real registry: the name_en_source distribution, names still carrying pinyin of
a legal form, and translated names drawn at random with their Chinese. Prints figures, asserts nothing.

    .venv/bin/python bench/names_report.py [--sample 20] [--seed 22] [--romanised]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

from regtrail.names import TRANSLATED
from regtrail.names.data import english_names, official_names, shared_organisations, translator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--seed", type=int, default=22)
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
    bad = [zh for zh, (en, _) in names.items() if "gongsi" in en.lower() or "youxian" in en.lower()]
    print(f"names with Gongsi/Youxian: {len(bad)}")
    top = [name for name, _ in organisations.most_common(100)]
    print(f"official among the 100 with most filings and approvals: "
          f"{sum(names[name][1] == 'official' for name in top)}")
    translated = sorted(zh for zh, (_, source) in names.items() if source == TRANSLATED)
    print(f"\n{args.sample} translated names drawn at random (seed {args.seed}):")
    for zh in random.Random(args.seed).sample(translated, min(args.sample, len(translated))):
        print(f"  {zh}  ->  {names[zh][0]}")
    if args.romanised:
        print("\nromanised:")
        for zh, (en, source) in sorted(names.items()):
            if source == "romanised":
                print(f"  {zh}  ->  {en}")


if __name__ == "__main__":
    main()
