"""What the DAG file needs besides Airflow: DAG ids, crawl DAGs grouped by the sources' schedules, and
the rule that decides whether a crawl run updates the event-log Asset."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from regtrail import settings
from regtrail.crawl.sources import broken_sources, get_sources

WAREHOUSE_DAG = "regtrail_warehouse"
CRAWL_PREFIX = "regtrail_crawl_"
DEFAULT_SCHEDULE = "@daily"
# With catchup=False the scheduler creates one run for the latest scheduled time at or before now as soon
# as a DAG is unpaused (Airflow's trigger timetables always do): that run is the first crawl.
START_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def schedule_slug(schedule: str) -> str:
    """A DAG-id-safe name for a schedule: `@daily` -> `daily`, `0 6 * * *` -> `0_6_x_x_x`."""
    return re.sub(r"_+", "_", re.sub(r"[^0-9A-Za-z]+", "_", schedule.lstrip("@").replace("*", "x"))).strip("_")


def crawl_dags() -> dict[str, tuple[str, list[str]]]:
    """Crawl DAG id -> (schedule, source names): one DAG per distinct `schedule` of the crawled sources; a source
    whose `source.yml` is invalid gets its task in the default schedule's DAG, where it fails with the message."""
    groups: dict[str, list[str]] = {}
    for source in get_sources():
        groups.setdefault(source.config.schedule or DEFAULT_SCHEDULE, []).append(source.name)
    for name in broken_sources():  # its task fails with the validation message; every other source still runs
        groups.setdefault(DEFAULT_SCHEDULE, []).append(name)
    return {CRAWL_PREFIX + schedule_slug(s): (s, names) for s, names in sorted(groups.items())}


def new_record_events(stats: Mapping[str, Mapping[str, Any] | None]) -> dict[str, int]:
    """Task id -> record events it appended, for the crawls that appended any (a failed crawl has no stats).

    Only record events count: every crawl appends fetch events (one per HTTP attempt), which alone change
    no mart but `fct_fetch_failures`; they are built with the next record."""
    return {task_id: int(s["new_record_events"]) for task_id, s in stats.items()
            if s and int(s.get("new_record_events", 0)) > 0}


def crawl_task_args() -> dict[str, Any]:
    """Default arguments of a crawl DAG's tasks: Airflow stops a task running longer than
    `REGTRAIL_CRAWL_TASK_TIMEOUT_HOURS` (the crawl appends what it fetched before it ends)."""
    return {"execution_timeout": timedelta(hours=settings.crawl_task_timeout_hours())}


def warehouse_task_args() -> dict[str, Any]:
    """Default arguments of the warehouse DAG's tasks: `REGTRAIL_WAREHOUSE_QUEUE` pins them (prepare, dbt,
    publish) to the workers serving that queue, whose disk holds the build file (CeleryExecutor); Airflow
    stops a task running longer than `REGTRAIL_BUILD_TASK_TIMEOUT_HOURS`."""
    queue = settings.ENV.warehouse_queue
    timeout = {"execution_timeout": timedelta(hours=settings.build_task_timeout_hours())}
    return {"queue": queue, **timeout} if queue else timeout


def log_uri(relpath: str) -> str:
    """URI of a path under the log root (REGTRAIL_LOG): `file://...` locally, else the log's own URL."""
    root = settings.log_root()
    return f"{root}/{relpath}" if isinstance(root, str) else f"file://{root / relpath}"
