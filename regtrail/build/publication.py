"""The published set: the warehouse and its folders, switched in together by one symlink rename.

Layout under REGTRAIL_HOME (readers keep opening the fixed names):

    .published/<stamp>/          one complete publication: warehouse.duckdb, exports/, docs/, report/, ...
    .published/current -> <stamp>    THE switch: one atomic rename moves every reader to a new set
    warehouse.duckdb -> .published/current/warehouse.duckdb
    exports -> .published/current/exports      (the same for every name in PUBLISHED)

A publication is staged in `.published/.staging-<stamp>/`, renamed to `.published/<stamp>/` when
complete, and only then does `current` move. A killed publish leaves either the previous set or
the new one, never a mix; the staging folder it leaves behind is removed by the next publish.
The previous set is kept, so a reader that resolved a link a moment ago still finds its files; a
reader holding an older file open keeps reading it (its inode lives until closed).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

WAREHOUSE = "warehouse.duckdb"
# The folders published beside the warehouse, all in the one switch. A new one (e.g. `feeds`) is
# added here and given a stage function in `warehouse.STAGERS`.
PUBLISHED = ("exports", "docs", "report", "feeds")
VERSIONS = ".published"
CURRENT = "current"
STAGING_PREFIX = ".staging-"


def versions_dir(root: Path) -> Path:
    return root / VERSIONS


def current_version(root: Path) -> Path | None:
    """The folder of the current publication, or None before the first one."""
    link = versions_dir(root) / CURRENT
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def new_staging(root: Path, stamp: str) -> Path:
    stage = versions_dir(root) / f"{STAGING_PREFIX}{stamp}"
    stage.mkdir(parents=True)
    return stage


def remove_stale_staging(root: Path) -> list[Path]:
    """Delete staging folders killed publishes left (`.published/.staging-*`, and `build/publish-*`).

    Only call it while holding the build lease: no other publish is staging then.
    """
    stale = [*versions_dir(root).glob(f"{STAGING_PREFIX}*"), *(root / "build").glob("publish-*")]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)
    return stale


def carry_forward(root: Path, stage: Path, names: tuple[str, ...]) -> None:
    """Hard-link the current publication's folders `names` into `stage` (a publish that skipped them)."""
    current = current_version(root)
    for name in names:
        old = current / name if current else None
        if old is None or not old.is_dir():
            old = root / name if (root / name).is_dir() else None  # a folder of the earlier layout
        if old is not None and not (stage / name).exists():
            shutil.copytree(old, stage / name, copy_function=_link_or_copy)


def switch(root: Path, stage: Path, stamp: str, keep: int = 2) -> Path:
    """Make the staged folder the current publication with one rename; returns its final folder."""
    versions = versions_dir(root)
    final = versions / stamp
    os.replace(stage, final)
    _symlink(versions / CURRENT, stamp)  # <- the switch
    for name in (WAREHOUSE, *PUBLISHED):
        _symlink(root / name, f"{VERSIONS}/{CURRENT}/{name}")
    _prune(versions, final, keep)
    return final


def _symlink(link: Path, target: str) -> None:
    """Point `link` at `target` atomically (a no-op when it already does); moves a real folder aside."""
    if link.is_symlink() and os.readlink(link) == target:
        return
    if link.is_dir() and not link.is_symlink():  # a folder written by hand or by an early version
        aside = link.with_name(f".{link.name}.replaced")
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(link, aside)
        shutil.rmtree(aside, ignore_errors=True)
    temporary = link.with_name(f".{link.name}.{os.getpid()}.link")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target)
    os.replace(temporary, link)


def _prune(versions: Path, final: Path, keep: int) -> None:
    """Keep the newest `keep` publications; remove older ones and the earlier layout's `<name>-<stamp>`."""
    published = sorted(p for p in versions.iterdir()
                       if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    older = [p for p in published if p.name < final.name and p.name[:1].isdigit()]
    legacy = [p for p in published if not p.name[:1].isdigit()]  # `exports-<stamp>` of the earlier layout
    for old in older[: max(0, len(older) - (keep - 1))] + legacy:
        shutil.rmtree(old, ignore_errors=True)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)
