"""What each publication adds: the build compared with everything published before, kept in the log.

Publishing appends one Parquet segment per publication to the event log
(`$REGTRAIL_LOG/events/publications/source=regtrail/`): a marker row (`change_kind = 'publication'`)
and one row per timeline event (and per newly parsed list) that no earlier publication held, with the
event's fields as published. "Previously published" is the union of every earlier segment, so the
history survives any rebuild of the warehouse (a full refresh, a lost warehouse file): the warehouse
tables `fct_publications` and `fct_publication_changes` are re-derived from these segments at every
publish. Event ids are content hashes, so an unchanged event is never reported twice.

Change kinds: `new_list` (a list parsed for the first time), `new_filing` (the first listing of a
filing number never published before), `filing_listed` (a further listing), `filing_changed`,
`filing_cancelled`, `approval_announced`, `news_reported`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from regtrail import settings
from regtrail.log import events

log = logging.getLogger(__name__)

KIND = "publications"  # events/<KIND>/source=regtrail/<segment>.parquet
SOURCE = "regtrail"
CHANGE_KINDS = ("new_list", "new_filing", "filing_listed", "filing_changed", "filing_cancelled",
                "approval_announced", "news_reported")
LABELS = {"new_list": "new lists", "new_filing": "new filings", "filing_listed": "further listings",
          "filing_changed": "changes", "filing_cancelled": "cancellations", "approval_announced": "approvals",
          "news_reported": "news"}
SINGULAR = {"new_list": "new list", "new_filing": "new filing", "filing_listed": "further listing",
            "filing_changed": "change", "filing_cancelled": "cancellation", "approval_announced": "approval",
            "news_reported": "news"}
SCHEMA = pa.schema([
    ("publication_id", pa.string()), ("published_at", pa.timestamp("us", tz="UTC")),
    ("fingerprint", pa.string()), ("change_kind", pa.string()), ("event_id", pa.string()),
    ("event_type", pa.string()), ("event_date", pa.date32()), ("entity_name", pa.string()),
    ("entity_name_en", pa.string()), ("entity_group", pa.string()), ("entity_group_zh", pa.string()),
    ("filing_number", pa.string()), ("algorithm_name", pa.string()), ("list_id", pa.string()),
    ("list_type", pa.string()), ("batch_label", pa.string()), ("title", pa.string()),
    ("description", pa.string()), ("source_url", pa.string()),
])
EVENT_FIELDS = [f.name for f in SCHEMA][5:]


@dataclass
class Publication:
    """One publication's additions, ready to be recorded in the log once the publish commits."""

    publication_id: str
    published_at: datetime
    rows: pa.Table  # the marker row plus one row per change
    log_root: Path | str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def changes(self) -> list[dict]:
        return [r for r in self.rows.to_pylist() if r["change_kind"] != "publication"]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def log_root_for(home: Path) -> Path | str:
    """Where publication segments go: REGTRAIL_LOG when set, else the home being published."""
    return settings.log_root() if settings.log_env() else home


def history(log_root: Path | str) -> pa.Table:
    """Every earlier publication's rows (empty table with the schema when none)."""
    files = events.segment_files(log_root, KIND, SOURCE)
    if not files:
        return SCHEMA.empty_table()
    if events.is_url(log_root):
        fs, _ = events.filesystem(log_root)
        dataset = ds.dataset([fs._strip_protocol(f) for f in files], schema=SCHEMA, format="parquet", filesystem=fs)
    else:
        dataset = ds.dataset([str(f) for f in files], schema=SCHEMA, format="parquet")
    return dataset.to_table()


def compute(con: duckdb.DuckDBPyConnection, home: Path, publication_id: str, published_at: datetime,
            fingerprint: str) -> Publication:
    """Compare the build (`con`) with every earlier publication; create the two publication tables in it."""
    root = log_root_for(home)
    previous = history(root)
    con.register("_previous_publications", previous)
    try:
        con.execute("set TimeZone = 'UTC'")
        fields = ", ".join(f"e.{name}" for name in EVENT_FIELDS)
        current = con.sql(f"""
            with published as (
                select distinct event_id from _previous_publications where event_id is not null
            ),
            published_filings as (
                select distinct filing_number from _previous_publications
                where event_type = 'filing_listed' and filing_number is not null
            ),
            published_lists as (
                select distinct list_id from _previous_publications where change_kind = 'new_list'
            ),
            fresh as (
                select e.* from fct_timeline_events as e
                where e.event_id not in (select event_id from published)
            ),
            first_listing as (
                select event_id from (
                    select event_id, filing_number,
                        row_number() over (partition by filing_number order by event_date, observed_at, event_id) as n
                    from fresh where event_type = 'filing_listed'
                ) where n = 1 and filing_number not in (select filing_number from published_filings)
            )
            select
                case when e.event_id in (select event_id from first_listing) then 'new_filing'
                     else e.event_type end as change_kind,
                e.event_id, {fields}
            from fresh as e
            union all
            select 'new_list', null, null, b.published_at, null, null, null, null, null, null,
                b.list_id, b.list_type, b.batch_label,
                'New list: ' || coalesce(b.title, b.list_id),
                coalesce(b.title, b.list_id) || ': ' || b.parsed_rows || ' rows'
                    || coalesce(' (the regulator says ' || b.expected_count || ')', '') || '.',
                coalesce(b.notice_url, b.attachment_url)
            from fct_list_batches as b
            where b.status = 'parsed' and b.list_id not in (select list_id from published_lists)
            order by 1, 4, 2
        """).to_arrow_table()
    finally:
        con.unregister("_previous_publications")
    n = current.num_rows
    rows = pa.table({
        "publication_id": [publication_id] * (n + 1),
        "published_at": pa.array([published_at] * (n + 1), SCHEMA.field("published_at").type),
        "fingerprint": [fingerprint] * (n + 1),
        "change_kind": ["publication", *current.column("change_kind").to_pylist()],
        **{name: pa.concat_arrays([pa.nulls(1, SCHEMA.field(name).type),
                                   *current.column(name).cast(SCHEMA.field(name).type).chunks])
           if n else pa.nulls(1, SCHEMA.field(name).type)
           for name in [f.name for f in SCHEMA][4:]},
    }, schema=SCHEMA)
    counts = {kind: 0 for kind in CHANGE_KINDS}
    for kind in current.column("change_kind").to_pylist():
        counts[kind] = counts.get(kind, 0) + 1
    create_tables(con, pa.concat_tables([previous, rows]))
    return Publication(publication_id, published_at, rows, root, counts)


def create_tables(con: duckdb.DuckDBPyConnection, every: pa.Table) -> None:
    """`fct_publications` (one row per publication) and `fct_publication_changes` (one row per change)."""
    con.register("_publication_rows", every)
    try:
        con.execute("""
            create or replace table fct_publication_changes as
            select * exclude (fingerprint) from _publication_rows where change_kind <> 'publication'
            order by published_at, publication_id, change_kind, event_date, event_id""")
        kinds = ", ".join(f"count(c.change_kind) filter (where c.change_kind = '{k}') as {k}" for k in CHANGE_KINDS)
        con.execute(f"""
            create or replace table fct_publications as
            select p.publication_id, p.published_at, p.fingerprint,
                   count(c.change_kind) as changes, {kinds},
                   row_number() over (order by p.published_at, p.publication_id) as publication_number
            from (select * from _publication_rows where change_kind = 'publication') as p
            left join (select * from _publication_rows where change_kind <> 'publication') as c
                on c.publication_id = p.publication_id
            group by p.publication_id, p.published_at, p.fingerprint
            order by p.published_at""")
    finally:
        con.unregister("_publication_rows")


def record(publication: Publication) -> Path | str:
    """Append the publication's segment to the log (call when the publish is committed)."""
    location = events.under(publication.log_root, f"events/{KIND}/source={SOURCE}/{events.segment_name()}")
    return events.write_atomically(location, lambda handle: pq.write_table(publication.rows, handle,
                                                                            compression="zstd"))


def summary_line(counts: dict[str, int]) -> str:
    """'3 new lists, 120 new filings, 2 cancellations' (kinds with no change left out)."""
    parts = [f"{counts[k]} {(SINGULAR if counts[k] == 1 else LABELS)[k]}" for k in CHANGE_KINDS if counts.get(k)]
    return ", ".join(parts) if parts else "nothing new"
