"""Publish the build with everything the analyst derives from it (changes, report, feeds, alerts)."""

from __future__ import annotations

from pathlib import Path

from regtrail.analyst.publishing import AnalystOutputs
from regtrail.build import warehouse


def publish(root: Path | None = None, *, docs: bool = True, exports: bool = True, report: bool = True,
            feeds: bool = True) -> Path:
    """`warehouse.publish` with the analyst's outputs: what `regtrail publish` and the warehouse DAG run."""
    return warehouse.publish(root, outputs=AnalystOutputs(), docs=docs, exports=exports, report=report, feeds=feeds)
