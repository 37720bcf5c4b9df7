"""A source's validated config without importing pydantic: what `regtrail parse` reads.

`regtrail.crawl.sources` validates a `source.yml` (pydantic); the validated form is kept as JSON in the
source's `__pycache__/`, named by the digest of the YAML's and the models' bytes, so a changed YAML
or model is validated again and a stale cache is never read. The dry run reads that JSON as read-only attribute objects
with the model's field names, so its start-up does not pay pydantic's import (about 0.25 s).
Where the cache cannot be written (a read-only install), the YAML is validated on every call.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from regtrail.settings import SOURCES_DIR

__all__ = ["SOURCES_DIR", "validated_config", "validated_data"]
_MODELS = Path(__file__).with_name("sources.py")
"""The pydantic models that validate a source.yml: a change to them (a new defaulted field) invalidates the cache."""


class Section(SimpleNamespace):
    """A validated section read back from the cache: its fields as attributes, and `model_dump` as on the model."""

    def model_dump(self, *, exclude: set[str] | None = None, **_: Any) -> dict[str, Any]:
        return {key: _thawed(item) for key, item in vars(self).items() if key not in (exclude or ())}


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return Section(**{key: _frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return [_frozen(item) for item in value]
    return value


def _thawed(value: Any) -> Any:
    if isinstance(value, Section):
        return value.model_dump()
    if isinstance(value, list):
        return [_thawed(item) for item in value]
    return value


def validated_data(name: str, sources_dir: Path = SOURCES_DIR) -> dict[str, Any]:
    """The validated config of one source as plain JSON data (the model's `model_dump`)."""
    path = sources_dir / name / "source.yml"
    digest = hashlib.sha256(path.read_bytes() + _MODELS.read_bytes()).hexdigest()[:16]
    cache = path.parent / "__pycache__" / f"source.{digest}.json"
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    from regtrail.crawl.sources import read_config

    data = read_config(path).model_dump(mode="json")
    try:
        cache.parent.mkdir(exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=cache.parent, prefix=".source.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
        os.replace(temp, cache)
    except OSError:
        pass
    return data


def validated_config(name: str, sources_dir: Path = SOURCES_DIR) -> Any:
    """The validated config of one source, read-only attributes named as in `regtrail.crawl.sources.SourceConfig`."""
    return _frozen(validated_data(name, sources_dir))
