"""Translations kept between builds (the model int_entity_english_names).

A translation depends only on the name, on this package's code, on jieba and pypinyin, and on the places and
brands given to the translator. Each build files its translations under a key made of all of those
(`key`), in `settings.cache_dir()/names/<key>.json`, and the next build with the same key translates only the
names it has not seen. A missing, unreadable or foreign file is a cache miss, never an error: the result is
the same, only slower. Importing this module does not load jieba (about 0.6 s with its dictionary).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path

from filelock import FileLock, Timeout

from regtrail.names import ROMANISED, TRANSLATED

FORMAT = 1
KEEP = 4  # files of other keys left in the folder (a checkout moving between versions), newest first
MAX_NAMES = 500_000  # a log naming more organisations than this is translated every build, not filed
SOURCES = (TRANSLATED, ROMANISED)

Translation = tuple[str, str]  # (English name, source)


def key(codes: Sequence[tuple[str, str]], groups: Sequence[tuple[str, str]]) -> str:
    """What every translation depends on besides the name: the package's code, its libraries' versions, the
    admin codes (places, provinces) and the group names (brands) of the build."""
    digest = hashlib.sha256(f"format {FORMAT}\0".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for package in ("jieba", "pypinyin"):
        digest.update(f"{package}=={metadata.version(package)}\0".encode())
    for rows in (sorted(codes, key=repr), sorted(dict(groups).items())):  # groups as the translator reads them
        digest.update(json.dumps(rows, ensure_ascii=False).encode() + b"\0")
    return digest.hexdigest()[:32]


def translations(names: Iterable[str], codes: Sequence[tuple[str, str]], groups: Sequence[tuple[str, str]],
                 folder: Path | None) -> dict[str, Translation]:
    """name -> (English name, `translated` or `romanised`) for each of `names`: the filed ones read, the others
    translated (`folder` None: all translated, nothing filed)."""
    wanted = sorted(set(names))
    path = folder / f"{key(codes, groups)}.json" if folder else None
    known = _read(path) if path else {}
    missing = [name for name in wanted if name not in known]
    if missing:
        translate = _translator(codes, groups)
        new = {name: translate(name) for name in missing}
        known.update(new)
        if path:
            _file(path, new)
    return {name: known[name] for name in wanted}


def _translator(codes: Sequence[tuple[str, str]], groups: Sequence[tuple[str, str]]) -> Callable[[str], Translation]:
    from regtrail.names.glossary import BRANDS
    from regtrail.names.translate import Translator, places_from_admin_codes, provinces_from_admin_codes

    return Translator(places_from_admin_codes(codes), {**BRANDS, **dict(groups)},
                      provinces_from_admin_codes(codes)).translate


def _read(path: Path) -> dict[str, Translation]:
    """The translations filed at `path`, or none when it is missing or not one of these files."""
    try:
        filed = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = filed.get("names") if isinstance(filed, dict) and filed.get("key") == path.stem else None
    if not isinstance(entries, dict):
        return {}
    return {name: (value[0], value[1]) for name, value in entries.items()
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and value[1] in SOURCES}


def _file(path: Path, new: dict[str, Translation]) -> None:
    """Add `new` to the file at `path`: under a lock, so that concurrent builds add up rather than replace each
    other's names; atomically, so that a build reading it meanwhile gets the old file or the new one. Then drop
    all but the KEEP newest files of other keys. A folder that cannot be written only costs time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(path.parent / ".lock", timeout=60):
            known = {**_read(path), **new}
            if len(known) > MAX_NAMES:
                return
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps({"key": path.stem, "names": known}, ensure_ascii=False),
                                 encoding="utf-8")
            os.replace(temporary, path)
        others = sorted((p for p in path.parent.glob("*.json") if p != path), key=_mtime, reverse=True)
        for stale in others[KEEP:]:
            stale.unlink(missing_ok=True)
    except (OSError, Timeout):
        return


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
