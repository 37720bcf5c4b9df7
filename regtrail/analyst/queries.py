"""The analyst questions as SQL over the marts, on two clocks, with one meaning in every view.

`as_of` is the knowledge clock: only what regtrail had observed by the end of that day (UTC),
`observed_at <= DATE`. `valid_on` is the valid-time clock: only what the regulator dates on or
before that day, `event_date` / `published_at <= DATE`. Under either, nothing dated after the day
exists yet: a list published later is not there, announced or not (a list known only from its
notice counts from the first day of its batch month), and every count (per list, per entity, per
filing, per province, the report's totals) is counted from the events the clock keeps
(`Clock.events`). Both can be combined.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import duckdb

from regtrail.analyst.db import columns, records


@dataclass(frozen=True)
class Clock:
    """The two time filters; None means no filter."""

    as_of: date | None = None
    valid_on: date | None = None

    def known_before(self) -> datetime | None:
        """Exclusive upper bound for observed_at: the start of the day after `as_of`, UTC."""
        return datetime.combine(self.as_of + timedelta(days=1), time(), UTC) if self.as_of else None

    @property
    def active(self) -> bool:
        return bool(self.as_of or self.valid_on)

    @property
    def day(self) -> date | None:
        """The latest day either clock allows: nothing dated after it exists yet."""
        days = [d for d in (self.as_of, self.valid_on) if d]
        return min(days) if days else None

    def where(self, valid_col: str, observed_col: str) -> tuple[str, list]:
        """SQL conditions (joined with `and`, `true` when unfiltered) and their parameters: observed by
        the end of `as_of`, and dated on or before both days (nothing is observed before it is dated)."""
        conditions, params = ["true"], []
        if self.as_of:
            conditions.append(f"{observed_col} < ?")
            params.append(self.known_before())
        if self.active:
            conditions.append(f"{valid_col} <= ?")
            params.append(self.day)
        return " and ".join(conditions), params

    def events(self) -> tuple[str, list]:
        """The timeline events this clock keeps, as a subquery (one definition for every view)."""
        condition, params = self.where("event_date", "observed_at")
        return f"(select * from fct_timeline_events where {condition})", params


# The day a list exists from: its publication, else (known from its notice only) its batch month.
BATCH_DAY = ("coalesce(b.published_at, try_strptime(regexp_extract(b.batch_label, '^(\\d{4}年\\d{1,2})月', 1), "
             "'%Y年%m')::date)")


EVENT_TYPES = ("filing_listed", "filing_changed", "filing_cancelled", "approval_announced", "news_reported")


class InvalidChoice(ValueError):
    """An option value outside the values the warehouse knows; the message lists the valid ones."""


def require_choice(option: str, value: str | None, valid: list[str] | tuple[str, ...]) -> None:
    """Raise InvalidChoice naming the valid values when `value` is set and not one of them."""
    if value is not None and value not in valid:
        raise InvalidChoice(f"unknown {option} {value!r}; valid values: {', '.join(valid)}")


def list_types(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The list types of the warehouse's lists (and of the generative-AI approvals)."""
    rows = con.execute("select distinct list_type from fct_list_batches union "
                       "select distinct list_type from fct_timeline_events where list_type is not null "
                       "order by 1").fetchall()
    return [r[0] for r in rows]


TIMELINE_COLUMNS = ["event_date", "event_type", "entity_name", "filing_number", "algorithm_name", "list_id",
                    "date_basis", "observed_at", "description", "source_url"]


def _text_match(column: str, data_type: str) -> str:
    """A case-insensitive substring test of one dim_entities column (lists are searched element-wise)."""
    text = f"array_to_string({column}, ' | ')" if data_type.endswith("[]") else f"cast({column} as varchar)"
    return f"contains(lower(coalesce({text}, '')), lower(?))"


COUNTED = ("filings_count", "active_filings_count", "first_listed_date", "last_listed_date")


def find_entities(con: duckdb.DuckDBPyConnection, query: str, clock: Clock = Clock()) -> list[dict]:
    """dim_entities rows whose Chinese name, spellings, English name, aliases or group (in English or
    Chinese) contain `query`.

    A query naming a group (its English or Chinese name, e.g. Alibaba or 阿里巴巴) finds the same
    entities in both languages: the group's companies and every company whose Chinese name carries the
    group's Chinese name (a romanised name may sound like a group without being one: 华微 -> Huawei).
    Under a clock the counts and dates are those of the events the clock keeps (0 and empty for an
    organisation that has no filing yet on that day).
    """
    available = columns(con, "dim_entities")
    shown = [c for c in ("entity_name_zh", "name_en", "name_en_source", "group_name", "aliases", "province",
                         *COUNTED) if c in available]
    group = None
    if {"group_name", "group_name_zh"} <= set(available):
        group = con.execute("select distinct group_name, group_name_zh from dim_entities "
                            "where lower(group_name) = lower(?) or group_name_zh = ?", [query.strip()] * 2).fetchone()
    if group:
        where, where_params = "(d.group_name = ? or contains(d.entity_name_zh, ?))", list(group)
    else:
        searched = [c for c in ("entity_name_zh", "spelling_variants", "name_en", "aliases", "group_name",
                                "group_name_zh") if c in available]
        where = " or ".join(_text_match("d." + c, available[c]) for c in searched)
        where_params = [query] * len(searched)
    if not clock.active:
        return records(con, f"select {', '.join(shown)} from dim_entities as d where {where} order by entity_name_zh",
                       where_params)
    events, params = clock.events()
    selected = ", ".join(f"coalesce(c.{c}, 0) as {c}" if c.endswith("_count") else
                         (f"c.{c}" if c in COUNTED else f"d.{c}") for c in shown)
    return records(con, f"""
        with events as {events},
        listed as (
            select entity_name, filing_number, min(event_date) as first_day, max(event_date) as last_day
            from events where event_type = 'filing_listed' group by all
        ),
        counted as (
            select entity_name, count(*) as filings_count,
                   count(*) filter (where filing_number not in (
                       select filing_number from events where event_type = 'filing_cancelled'))
                       as active_filings_count,
                   min(first_day) as first_listed_date, max(last_day) as last_listed_date
            from listed group by entity_name
        )
        select {selected} from dim_entities as d left join counted as c on c.entity_name = d.entity_name_zh
        where {where} order by d.entity_name_zh""", [*params, *where_params])


def timeline(con: duckdb.DuckDBPyConnection, query: str, clock: Clock = Clock(),
             event_type: str | None = None) -> tuple[list[dict], list[dict]]:
    """(matching entities, their timeline events in date order) for an entity name fragment.

    `event_type` keeps one kind of event (one of EVENT_TYPES; InvalidChoice otherwise).

    Events reported about a whole group (news names "Huawei", not a legal entity) are included
    when the group is one of the matching entities' groups.
    """
    require_choice("event type", event_type, EVENT_TYPES)
    entities = find_entities(con, query, clock)
    names = [e["entity_name_zh"] for e in entities]
    groups = sorted({e["group_name"] for e in entities if e.get("group_name")})
    condition, params = clock.where("event_date", "observed_at")
    if event_type:
        condition, params = condition + " and event_type = ?", [*params, event_type]
    has_group = "entity_group" in columns(con, "fct_timeline_events")
    shown = [("coalesce(entity_name, entity_group) as entity_name" if c == "entity_name" and has_group else c)
             for c in TIMELINE_COLUMNS]
    group_match = "or (entity_name is null and list_contains(?, entity_group))" if has_group else ""
    events = records(
        con,
        f"select {', '.join(shown)} from fct_timeline_events "
        f"where (list_contains(?, entity_name) or contains(lower(entity_name), lower(?)) {group_match}) "
        f"and {condition} order by event_date, observed_at, entity_name, filing_number, event_type",
        [names, query, *([groups] if has_group else []), *params],
    )
    return entities, events


def batches(con: duckdb.DuckDBPyConnection, clock: Clock = Clock(), list_type: str | None = None) -> list[dict]:
    """One row per announced list: counts, dates, reconciliation, the events it brought, its news coverage.

    An unknown `list_type` raises InvalidChoice naming the valid ones.
    """
    if list_type is not None:  # list_types is a query: only when there is something to check
        require_choice("list type", list_type, list_types(con))
    # A list whose attachment was never fetched is known from its notice page only: it exists from
    # the first day of its batch month (and, on the knowledge clock, once its notice was observed).
    batch_condition, batch_params = clock.where(BATCH_DAY, "b.first_observed_at")
    events, event_params = clock.events()
    type_condition = "b.list_type = ?" if list_type else "true"
    return records(
        con,
        f"""
        with events as {events},
        first_listing as (
            select filing_number, arg_min(list_id, (event_date, observed_at, list_id)) as list_id
            from events where event_type = 'filing_listed' group by filing_number
        ),
        per_list as (
            select
                list_id,
                count(*) filter (where event_type = 'filing_listed') as listed,
                count(*) filter (where event_type = 'filing_changed') as changed,
                count(*) filter (where event_type = 'filing_cancelled') as cancelled,
                count(distinct source_url) filter (where event_type = 'news_reported') as news
            from events group by list_id
        ),
        new_filings as (
            select list_id, count(*) as new_filings from first_listing group by list_id
        )
        select
            b.list_type, b.batch_label, b.published_at, b.status, b.parsed_rows, b.expected_count,
            b.distinct_filings, b.reconciled, coalesce(n.new_filings, 0) as new_filings,
            coalesce(p.changed, 0) as changed, coalesce(p.cancelled, 0) as cancelled,
            coalesce(p.news, 0) as news,
            b.first_observed_at, b.failure_kind, b.list_id, b.notice_url
        from fct_list_batches as b
        left join per_list as p on p.list_id = b.list_id
        left join new_filings as n on n.list_id = b.list_id
        where {batch_condition} and {type_condition}
        order by b.list_type,
            coalesce(b.published_at, try_strptime(replace(b.batch_label, '月', ''), '%Y年%m')::date),
            b.batch_label
        """,
        [*event_params, *batch_params, *([list_type] if list_type else [])],
    )


GENAI_COLUMNS = ["period", "published_at", "filing_rows", "expected_filings", "registration_rows",
                 "expected_registrations", "ondevice_rows", "rows_reconciled", "cumulative_filed", "official_filed",
                 "cumulative_registered", "official_registered", "official_as_of", "registration_seq_skipped",
                 "status", "accepted_explanation"]


def genai_reconciliation(con: duckdb.DuckDBPyConnection, clock: Clock = Clock()) -> list[dict]:
    """Generative-AI lists against their own counts and the regulator's cumulative totals (oldest first)."""
    if not columns(con, "fct_genai_reconciliation"):
        return []
    condition, params = clock.where("published_at", "first_observed_at")
    return records(con, f"select * from fct_genai_reconciliation where {condition} order by published_at, list_id",
                   params)


MATCHES_SHOWN = 20  # numbers named when a fragment matches more than one


def _numbers(con: duckdb.DuckDBPyConnection) -> str:
    """SQL of every number the warehouse shows: 备案编号 of fct_filings, generative-AI 备案号/上线编号 of
    fct_genai_approvals, and any number on the timeline."""
    parts = ["select filing_number as number from fct_filings",
             "select filing_number from fct_timeline_events where filing_number is not null"]
    if columns(con, "fct_genai_approvals"):
        parts.append("select genai_number from fct_genai_approvals")
    return " union ".join(parts)


def resolve_filing(con: duckdb.DuckDBPyConnection, number: str, shown: int = MATCHES_SHOWN) -> tuple[list[str], int]:
    """(up to `shown` numbers, how many match in all): the number equal to `number`, or else every number
    containing it, case-insensitively (so `110108413760701220011` or `kuaiyi` works). Numbers are those of
    filings, generative-AI approvals and the timeline."""
    numbers = _numbers(con)
    exact = con.execute(f"select number from ({numbers}) where number = ?", [number]).fetchall()
    if exact:
        return [exact[0][0]], 1
    rows = con.execute(f"""
        select number, count(*) over () from ({numbers})
        where contains(lower(number), lower(?)) order by number limit {int(shown)}""", [number]).fetchall()
    return [r[0] for r in rows], (rows[0][1] if rows else 0)


def filing(con: duckdb.DuckDBPyConnection, number: str, clock: Clock = Clock()) -> tuple[dict, list[dict]]:
    """(summary, history) of one filing or generative-AI approval number. Under a clock the summary is
    derived from the filtered history."""
    current = records(con, "select * from fct_filings where filing_number = ?", [number])
    if not current and columns(con, "fct_genai_approvals"):
        current = records(con, "select 'genai_approval' as kind, * from fct_genai_approvals where genai_number = ?",
                          [number])
    condition, params = clock.where("event_date", "observed_at")
    history = records(
        con,
        "select event_date, event_type, entity_name, algorithm_name, list_id, batch_label, date_basis, "
        "observed_at, description, source_url from fct_timeline_events "
        f"where filing_number = ? and {condition} order by event_date, observed_at, event_type",
        [number, *params],
    )
    if not current:
        if not con.execute(f"select 1 from ({_numbers(con)}) where number = ?", [number]).fetchone():
            raise LookupError(f"no filing {number} in the warehouse")
        current = [{"filing_number": number}]  # a number only the timeline shows
    summary = dict(current[0])
    if clock.active:
        summary = _summary_under_clock({"filing_number": number, **summary}, history, clock)
    return summary, history


def _summary_under_clock(current: dict, history: list[dict], clock: Clock) -> dict:
    """What the filing looked like on the chosen clock: only fields the filtered history supports."""
    listed = [e for e in history if e["event_type"] in ("filing_listed", "approval_announced")]
    cancelled = [e for e in history if e["event_type"] == "filing_cancelled"]
    latest = (listed or history or [{}])[-1]
    return {
        "filing_number": current["filing_number"],
        "clock": ", ".join(f"{k}={v}" for k, v in (("as_of", clock.as_of), ("valid_on", clock.valid_on)) if v),
        "known": bool(history),
        "algorithm_name": latest.get("algorithm_name"),
        "entity_name": latest.get("entity_name"),
        "status": None if not listed else ("cancelled" if cancelled else "active"),
        "cancelled_date": cancelled[0]["event_date"] if cancelled else None,
        "first_listed_date": listed[0]["event_date"] if listed else None,
        "first_list_id": listed[0]["list_id"] if listed else None,
        "last_listed_date": listed[-1]["event_date"] if listed else None,
        "last_list_id": listed[-1]["list_id"] if listed else None,
        "lists_count": len(listed),
    }


def regions(con: duckdb.DuckDBPyConnection, clock: Clock = Clock()) -> list[dict]:
    """Per province (the administrative code after 网信算备, the 属地 of a generative-AI row): filings
    listed, cancelled, approvals and organisations, counted from the events the clock keeps."""
    events, params = clock.events()
    return records(con, f"""
        with events as {events}
        select coalesce(province, '(unresolved)') as province,
               count(distinct filing_number) filter (where event_type = 'filing_listed') as filings,
               count(distinct filing_number) filter (where event_type = 'filing_cancelled' and filing_number in (
                   select filing_number from events where event_type = 'filing_listed')) as cancelled,
               count(distinct filing_number) filter (where event_type = 'approval_announced') as approvals,
               count(distinct entity_name) as entities
        from events where event_type <> 'news_reported'
        group by all order by filings + approvals desc, province""", params)
