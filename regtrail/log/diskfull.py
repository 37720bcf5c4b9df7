"""A full disk is an ordinary failure: one error naming the path, nothing partial left, the next run heals.

Writers wrap what they write in `writing(path)`: a failure for lack of space (Python's ENOSPC/EDQUOT, or the
same reported by DuckDB, Arrow or lxml in their own words) becomes `DiskFull` naming the path, and a partial
file at that path is removed. The command line prints that one line and exits with `EXIT_CODE`.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

EXIT_CODE = 4
_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_WORDING = ("no space left on device", "io_enospc", "enospc", "disk quota exceeded", "not enough space on disk")


class DiskFull(OSError):
    """Writing `path` failed for lack of space; nothing partial was kept."""

    def __init__(self, path: Path | str, cause: BaseException | None = None) -> None:
        self.path = str(path)
        detail = f" ({cause})" if cause is not None and str(cause) else ""
        super().__init__(errno.ENOSPC, f"no space left on device writing {self.path}{detail}; nothing partial was "
                                       "kept: free some space and run again")

    def __str__(self) -> str:
        return self.strerror or super().__str__()


def is_disk_full(exc: BaseException) -> bool:
    """True when `exc` (or what it was raised from) says the disk or the quota is full."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DiskFull) or (isinstance(exc, OSError) and exc.errno in _ERRNOS):
            return True
        if any(word in str(exc).lower() for word in _WORDING):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def remove(path: Path) -> None:
    """Remove a partial file or folder, ignoring what is already gone."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def writing(path: Path | str, *, partial: Path | None = None) -> Iterator[None]:
    """Turn a lack of space while writing `path` into `DiskFull(path)`; remove `partial` (if given) on any failure."""
    try:
        yield
    except BaseException as exc:
        if partial is not None:
            remove(partial)
        if isinstance(exc, DiskFull) or not is_disk_full(exc):
            raise
        raise DiskFull(path, exc) from exc
