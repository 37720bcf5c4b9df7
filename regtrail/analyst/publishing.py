"""The analyst's part of a publication: what changed, the report, the feeds and the watchlist alert.

Passed to `regtrail.build.warehouse.publish` as its `outputs` by `regtrail.ops.publish`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from regtrail.analyst import alerts, changes


class AnalystOutputs:
    """`warehouse.Outputs` for the analyst: `changes`, `report`, `feeds` and `alerts`."""

    def changes(self, con: duckdb.DuckDBPyConnection, root: Path, stamp: str, now: datetime,
                fingerprint: str) -> changes.Publication:
        return changes.compute(con, root, stamp, now, fingerprint)

    def record(self, added: changes.Publication) -> None:
        changes.record(added)

    def summary(self, added: changes.Publication) -> str:
        return changes.summary_line(added.counts)

    def report(self, con: duckdb.DuckDBPyConnection, folder: Path) -> None:
        from regtrail.analyst import report

        report.write_report(con, folder / "index.html")

    def feeds(self, con: duckdb.DuckDBPyConnection, folder: Path) -> None:
        from regtrail.analyst import feeds

        feeds.write_feeds(con, folder)

    def after_publish(self, added: changes.Publication, report: str | None) -> None:
        alerts.after_publish(added, report)
