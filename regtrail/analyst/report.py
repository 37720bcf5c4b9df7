"""The static timeline report: one self-contained HTML file (plotly.js inline, works offline).

Bounded whatever a document holds: every text value the report shows (tables, charts, the embedded
timeline) is clipped to `safe.REPORT_FIELD_CHARS` characters, an ellipsis marking the cut (the warehouse
and the archive keep the whole text).
"""

from __future__ import annotations

import html
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from regtrail.analyst import changes, queries
from regtrail.analyst.db import columns, records
from regtrail.analyst.safe import REPORT_FIELD_CHARS, clip, clip_value

ROW_LIMIT = 500
CHART_CONFIG = {"displaylogo": False, "responsive": True}
BAR_WIDTH_MS = 24 * 86_400_000  # bars on a date axis are sized in milliseconds
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
# Chinese glyphs in every viewer: CJK fonts of Linux (fonts-noto-cjk, WenQuanYi), macOS and Windows first.
FONTS = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "PingFang SC", '
         '"Hiragino Sans GB", "Microsoft YaHei", system-ui, sans-serif')
CHANGES_SHOWN = 50
EVENT_COLORS = {"filing_listed": "#1f77b4", "filing_changed": "#ff7f0e", "filing_cancelled": "#d62728",
                "approval_announced": "#2ca02c", "news_reported": "#9467bd"}


def _layout(fig: go.Figure, title: str, y_title: str) -> go.Figure:
    fig.update_layout(title=title, template="plotly_white", height=420, margin=dict(l=60, r=20, t=60, b=40),
                      legend=dict(orientation="h", y=-0.15), yaxis_title=y_title,
                      font=dict(family=FONTS.replace('"', "")))
    return fig


def _batch_day(batch: dict) -> str:
    """The list's publication date, or the first day of the month its batch label names."""
    if batch["published_at"]:
        return str(batch["published_at"])
    match = re.fullmatch(r"(\d{4})年(\d{1,2})月", batch["batch_label"] or "")
    return f"{match[1]}-{int(match[2]):02d}-01" if match else ""


def batches_figure(batches: list[dict]) -> go.Figure:
    """Rows per published list over time, one bar trace per list type; unavailable lists as markers."""
    fig = go.Figure()
    types = sorted({b["list_type"] for b in batches})
    for i, list_type in enumerate(types):
        parsed = [b for b in batches if b["list_type"] == list_type and b["status"] == "parsed"]
        fig.add_bar(
            name=f"{list_type}: filings in list", x=[str(b["published_at"]) for b in parsed],
            y=[b["parsed_rows"] for b in parsed], marker_color=COLORS[i % len(COLORS)], width=BAR_WIDTH_MS,
            customdata=[[b["batch_label"], b["new_filings"], "yes" if b["reconciled"] else "NO"] for b in parsed],
            hovertemplate="%{customdata[0]}<br>%{y} filings, %{customdata[1]} new<br>reconciled: %{customdata[2]}"
                          "<extra>" + list_type + "</extra>",
        )
        missing = [b for b in batches if b["list_type"] == list_type and b["status"] != "parsed"]
        if missing:
            fig.add_scatter(
                name=f"{list_type}: announced, not available", x=[_batch_day(b) for b in missing],
                y=[0] * len(missing), mode="markers", marker=dict(symbol="x", size=10, color=COLORS[i % len(COLORS)]),
                customdata=[[b["batch_label"], b["failure_kind"] or ""] for b in missing],
                hovertemplate="%{customdata[0]}: attachment not available (%{customdata[1]})<extra></extra>",
            )
    fig.update_layout(barmode="overlay")
    return _layout(fig, "Filings per published list, by list type", "filings in the list")


def events_figure(monthly: list[dict]) -> go.Figure:
    """Timeline events per month, stacked by event type (only the types present)."""
    fig = go.Figure()
    for event_type in sorted({m["event_type"] for m in monthly}, key=lambda t: list(EVENT_COLORS).index(t)
                             if t in EVENT_COLORS else 99):
        rows = [m for m in monthly if m["event_type"] == event_type]
        fig.add_bar(name=event_type, x=[str(m["month"]) for m in rows], y=[m["events"] for m in rows],
                    marker_color=EVENT_COLORS.get(event_type), hovertemplate="%{x|%Y-%m}: %{y}<extra>%{fullData.name}"
                                                                           "</extra>")
    fig.update_layout(barmode="stack")
    return _layout(fig, "Timeline events per month: listings (approvals), changes, cancellations", "events")


def cumulative_figure(firsts: list[dict]) -> go.Figure:
    """Distinct filings over time by the type of the list that first showed them, and cancellations."""
    fig = go.Figure()
    series: dict[str, list[dict]] = {}
    for row in firsts:
        series.setdefault(row["series"], []).append(row)
    for i, (name, rows) in enumerate(sorted(series.items())):
        fig.add_scatter(name=name, x=[str(r["day"]) for r in rows], y=[r["total"] for r in rows],
                        mode="lines+markers", line_shape="hv", line_color=COLORS[i % len(COLORS)])
    return _layout(fig, "Filings over time by first listing date (cumulative)", "filings")


def _clipped(value: object) -> object:
    """Every string in rows (dicts, lists, tuples) clipped to REPORT_FIELD_CHARS."""
    if isinstance(value, dict):
        return {k: _clipped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clipped(v) for v in value]
    return clip_value(value, REPORT_FIELD_CHARS)


def _data(con: duckdb.DuckDBPyConnection, clock: queries.Clock) -> dict:
    """Everything the report shows, counted from the events the clock keeps (all of them without one), every
    text value clipped (`_clipped`)."""
    return _clipped(_query_data(con, clock))


def _query_data(con: duckdb.DuckDBPyConnection, clock: queries.Clock) -> dict:
    dim = columns(con, "dim_entities")
    extra = [c for c in ("name_en", "group_name", "aliases") if c in dim]
    alias_text = {"aliases": "array_to_string(d.aliases, ' | ')" if dim.get("aliases", "").endswith("[]")
                  else "cast(d.aliases as varchar)"}
    extra_sql = "".join(f", {alias_text.get(c, 'd.' + c)} as {c}" for c in extra)
    events, params = clock.events()
    batches = queries.batches(con, clock)
    timeline = columns(con, "fct_timeline_events")
    group_sql = "".join(f", e.{c}" for c in ("entity_name_en", "entity_group", "entity_group_zh") if c in timeline)
    group_zh = ("coalesce(e.entity_group_zh, d.group_name_zh, '')" if "entity_group_zh" in timeline
                and "group_name_zh" in dim else "''")
    groups = records(con, "select distinct group_name, group_name_zh from dim_entities where group_name_zh is not null"
                     ) if "group_name_zh" in dim else []
    has_changes = bool(columns(con, "fct_publications"))
    has_regions = "province" in timeline
    has_synthetic = "is_synthetic" in timeline
    return {
        "publication": records(con, "select * from fct_publications order by published_at desc limit 1")
        if has_changes else [],
        "changes": records(con, f"""
            select change_kind, event_date, coalesce(entity_name, entity_group) as entity, filing_number, title,
                   list_id, source_url
            from fct_publication_changes
            where publication_id = (select publication_id from fct_publications order by published_at desc limit 1)
            order by list_position(?, change_kind), event_date desc nulls last, event_id limit {CHANGES_SHOWN}""",
            [list(changes.CHANGE_KINDS)]) if has_changes else [],
        "batches": batches,
        "genai": queries.genai_reconciliation(con, clock),
        "monthly": records(con, "select date_trunc('month', event_date)::date as month, event_type, "
                                f"count(*) as events from {events} group by all order by month, event_type", params),
        "firsts": records(con, f"""
            with events as {events},
            firsts as (
                select filing_number, arg_min(list_id, (event_date, list_id)) as list_id, min(event_date) as day
                from events where event_type = 'filing_listed' group by filing_number
            ),
            cancels as (
                select filing_number, min(event_date) as day from events
                where event_type = 'filing_cancelled' and filing_number in (select filing_number from firsts)
                group by filing_number
            )
            select series, day, sum(n) over (partition by series order by day) as total from (
                select split_part(list_id, ':', 1) || ': first listed' as series, day, count(*) as n
                from firsts group by all
                union all
                select 'cancelled', day, count(*) from cancels group by all
            ) order by series, day""", params),
        "totals": records(con, f"""
            with events as {events}
            select count(distinct filing_number) filter (where event_type = 'filing_listed') as filings,
                   count(distinct filing_number) filter (where event_type = 'filing_cancelled' and filing_number in (
                       select filing_number from events where event_type = 'filing_listed')) as cancelled,
                   count(distinct entity_name) as entities,
                   count(*) as events,
                   {"count(*) filter (where is_synthetic)" if has_synthetic else "0"} as synthetic_events,
                   max(observed_at) as last_observed
            from events""", params)[0]
        | {"lists_parsed": sum(b["status"] == "parsed" for b in batches), "lists_announced": len(batches)},
        "provinces": queries.regions(con, clock) if has_regions else [],
        "events": con.execute(f"""
            select e.event_date::varchar, e.event_type, e.entity_name, coalesce(e.filing_number, ''),
                   coalesce(e.algorithm_name, ''), coalesce(e.list_id, ''), e.date_basis,
                   coalesce(e.description, ''), {group_zh} as group_zh{extra_sql}{group_sql}
            from {events} as e left join dim_entities as d on d.entity_name_zh = e.entity_name
            order by e.event_date, e.entity_name, e.filing_number, e.event_type""", params).fetchall(),
        "extra": extra,
        "groups": {key: g["group_name_zh"] for g in groups for key in (g["group_name"].lower(), g["group_name_zh"])},
    }


def provinces_figure(provinces: list[dict]) -> go.Figure:
    """Filings and generative-AI approvals per province (the code after 网信算备, the 属地)."""
    rows = [p for p in provinces if p["province"] != "(unresolved)"][::-1]
    fig = go.Figure()
    for i, (key, name) in enumerate((("filings", "algorithm filings"), ("approvals", "generative-AI approvals"))):
        fig.add_bar(name=name, y=[p["province"] for p in rows], x=[p[key] for p in rows], orientation="h",
                    marker_color=COLORS[i])
    fig.update_layout(barmode="stack")
    fig = _layout(fig, "Filings and approvals by province", "")
    fig.update_layout(height=max(420, 22 * len(rows) + 120))
    return fig


def _provinces_table(provinces: list[dict]) -> str:
    head = ["province", "filings", "cancelled", "generative-AI approvals", "organisations"]
    rows = "".join("<tr>" + "".join(f"<td>{_esc(p[k])}</td>" for k in ("province", "filings", "cancelled",
                                                                        "approvals", "entities")) + "</tr>"
                   for p in provinces)
    return ("<table class='grid' id='provinces'><thead><tr>" + "".join(f"<th>{h}</th>" for h in head)
            + "</tr></thead><tbody>" + rows + "</tbody></table>")


# Inside <script>, `</script>`, `<!--` and `<script` change how the HTML parser reads the text (a
# `<!--<script>` in a cell once hid the rest of the page). JSON never needs `<`, `>` or `&` outside a
# string, and inside one the \\u escapes mean the same characters, so escaping them keeps every value inert.
_SCRIPT_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def script_json(text: str) -> str:
    """JSON text made safe to embed in an HTML `<script>` element (same value after JSON.parse)."""
    return text.translate(_SCRIPT_UNSAFE)


def _chart(div_id: str, fig: go.Figure) -> str:
    """One chart: its figure as escaped JSON data, drawn by plotly.js from that data."""
    data_id = f"{div_id}-data"
    return (f"<div class='chart' id='chart-{div_id.rsplit('-', 1)[1]}'><div id='{div_id}'></div>"
            f"<script type='application/json' id='{data_id}'>{script_json(pio.to_json(fig))}</script>"
            f"<script>(function () {{ const f = JSON.parse(document.getElementById('{data_id}').textContent); "
            f"Plotly.newPlot('{div_id}', f.data, f.layout, {json.dumps(CHART_CONFIG)}); }})();</script></div>")


def _esc(value: object) -> str:
    return html.escape("" if value is None else clip(str(value), REPORT_FIELD_CHARS))


def _batches_table(batches: list[dict]) -> str:
    head = ["list type", "batch", "published", "status", "filings", "expected", "reconciled", "new", "changed",
            "cancelled", "news"]
    rows = []
    for b in batches:
        reconciled = "" if b["status"] != "parsed" else ("yes" if b["reconciled"] else "NO")
        cells = [b["list_type"], b["batch_label"], b["published_at"], b["status"], b["parsed_rows"],
                 b["expected_count"], reconciled, b["new_filings"], b["changed"], b["cancelled"], b.get("news", "")]
        rows.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
    return ("<table class='grid'><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _genai_table(lists: list[dict]) -> str:
    """Per generative-AI list: rows against the list's count, cumulative rows against the official totals."""
    if not lists:
        return "<p>No generative-AI list in the warehouse.</p>"
    head = ["list", "published", "备案 rows", "登记 rows", "on-device", "rows as stated", "cumulative 备案 / official",
            "cumulative 登记 / official", "as of", "status", "explanation"]
    rows = []
    for g in lists:
        def versus(ours: object, official: object) -> str:
            return f"{ours}" if official is None else f"{ours} / {official}"
        synthetic = " (synthetic)" if g["is_synthetic"] else ""
        cells = [f"{g['period']}{synthetic}", g["published_at"], g["filing_rows"], g["registration_rows"],
                 g["ondevice_rows"], "yes" if g["rows_reconciled"] else "NO",
                 versus(g["cumulative_filed"], g["official_filed"]),
                 versus(g["cumulative_registered"], g["official_registered"]), g["official_as_of"],
                 g["status"].replace("_", " "), g["accepted_explanation"] if g["status"] != "rows_only" else ""]
        rows.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
    return ("<table class='grid'><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _changes_section(publication: list[dict], rows: list[dict]) -> str:
    """'What changed in this publication': counts by kind and the first changes."""
    if not publication:
        return ""
    p = publication[0]
    counts = {kind: p[kind] for kind in changes.CHANGE_KINDS}
    items = "".join(
        f"<tr><td>{_esc(changes.LABELS[r['change_kind']])}</td><td>{_esc(r['event_date'])}</td>"
        f"<td>{_esc(r['entity'])}</td><td>{_esc(r['filing_number'])}</td><td>{_esc(r['title'])}</td>"
        f"<td>{_esc(r['list_id'])}</td></tr>" for r in rows)
    more = (f"<p class='meta'>First {len(rows)} of {p['changes']} shown; all in fct_publication_changes "
            f"and feeds/all.atom.</p>" if p["changes"] > len(rows) else "")
    table = ("<table class='grid' id='changes'><thead><tr><th>change</th><th>date</th><th>entity</th>"
             "<th>filing number</th><th>what</th><th>list</th></tr></thead><tbody>" + items + "</tbody></table>"
             if rows else "")
    return (f"<h2>What changed in this publication</h2><p class='meta' id='change-summary'>Publication "
            f"{p['publication_number']} ({_esc(p['published_at'].strftime('%Y-%m-%d %H:%M UTC'))}): "
            f"{_esc(changes.summary_line(counts))}.</p>{table}{more}")


def render(con: duckdb.DuckDBPyConnection, generated_at: datetime | None = None,
           clock: queries.Clock = queries.Clock()) -> str:
    """The whole report as one HTML document, as of the clock's day (everything without a clock)."""
    data = _data(con, clock)
    generated_at = generated_at or datetime.now(UTC)
    figures = [batches_figure(data["batches"]), events_figure(data["monthly"]), cumulative_figure(data["firsts"])]
    if data["provinces"]:
        figures.append(provinces_figure(data["provinces"]))
    charts = "\n".join(_chart(f"plot-{i}", fig) for i, fig in enumerate(figures))
    t = data["totals"]
    # a row: the 8 shown cells, the group's Chinese name, English names/aliases/groups, the search text
    rows = [[*row[:9], " ".join(str(v) for v in row[9:] if v)] for row in data["events"]]
    for row in rows:  # search text: entity names, filing number, algorithm, list (not the description)
        row.append(" ".join(str(v) for v in (row[2], row[3], row[4], row[5], row[9])).lower())
    payload = script_json(json.dumps(rows, ensure_ascii=False, separators=(",", ":")))
    types = sorted({r[1] for r in rows})
    known = "" if not data["extra"] else " (English names, aliases and groups where known)"
    return TEMPLATE.format(
        plotlyjs=get_plotlyjs(), fonts=FONTS, changes=_changes_section(data["publication"], data["changes"]),
        generated=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        clock=_esc("".join(f" {label} {day}." for label, day in (("As of", clock.as_of), ("Valid on", clock.valid_on))
                           if day)),
        provinces=_provinces_table(data["provinces"]) if data["provinces"] else "<p>No region columns.</p>",
        last_observed=_esc(t["last_observed"].strftime("%Y-%m-%d %H:%M UTC") if t["last_observed"] else "never"),
        filings=t["filings"], cancelled=t["cancelled"], entities=t["entities"], lists_parsed=t["lists_parsed"],
        lists_announced=t["lists_announced"], events=t["events"], synthetic_events=t["synthetic_events"],
        charts=charts,
        batches=_batches_table(data["batches"]),
        genai=_genai_table(data["genai"]),
        type_options="".join(f"<option value='{_esc(x)}'>{_esc(x)}</option>" for x in types),
        known=known, payload=payload, limit=ROW_LIMIT,
        groups=script_json(json.dumps(data["groups"], ensure_ascii=False)),
    )


def write_report(con: duckdb.DuckDBPyConnection, out: Path, clock: queries.Clock = queries.Clock()) -> Path:
    """Render and write atomically (temporary file, then rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temporary.write_text(render(con, clock=clock), encoding="utf-8")
    os.replace(temporary, out)
    return out


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>regtrail: CAC algorithm registry timeline</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: {fonts}; margin: 24px;
       color: #222; max-width: 1280px; }}
h1 {{ font-size: 1.5em; margin-bottom: 0; }} h2 {{ margin-top: 1.6em; font-size: 1.2em; }}
.meta {{ color: #666; margin-top: 4px; }}
.cards {{ display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }}
.card {{ border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 110px; }}
.card b {{ display: block; font-size: 1.4em; }}
table.grid {{ border-collapse: collapse; font-size: 0.85em; width: 100%; }}
.grid th, .grid td {{ border-bottom: 1px solid #eee; padding: 3px 6px; text-align: left; vertical-align: top; }}
.grid th {{ background: #f6f6f6; position: sticky; top: 0; }}
.controls {{ display: flex; gap: 8px; align-items: center; margin: 8px 0; }}
#q {{ width: 420px; padding: 6px; font-size: 1em; }}
#timeline td:nth-child(-n+2) {{ white-space: nowrap; }}
.t-filing_cancelled {{ color: #d62728; }} .t-filing_changed {{ color: #b35900; }}
</style>
<script>{plotlyjs}</script>
</head><body>
<h1>regtrail: CAC algorithm registry timeline</h1>
<p class="meta">Generated {generated} from the published warehouse; latest document observed {last_observed}.{clock}
Events are dated by the regulator: listings by the list's publication, a change or 已注销 first shown by a
list by that list's publication (or the month its 备注 names), cancellations by their notice (column
<i>date basis</i>).</p>
{changes}
<div class="cards">
<div class="card"><b>{filings}</b>filings</div>
<div class="card"><b>{cancelled}</b>cancelled</div>
<div class="card"><b>{entities}</b>entities</div>
<div class="card"><b>{lists_parsed} / {lists_announced}</b>lists parsed / announced</div>
<div class="card"><b>{events}</b>timeline events</div>
<div class="card"><b>{synthetic_events}</b>synthetic events (invented by the mirror; 0 with real data)</div>
</div>
{charts}
<h2>Published lists</h2>
{batches}
<h2>By province</h2>
{provinces}
<h2>Generative-AI lists against the regulator's totals</h2>
{genai}
<h2>Timeline by entity</h2>
<div class="controls">
<input id="q" type="search" placeholder="entity name, filing number, algorithm, list{known}">
<select id="type"><option value="">all event types</option>{type_options}</select>
<span id="count"></span>
</div>
<table class="grid" id="timeline"><thead><tr><th>date</th><th>event</th><th>entity</th><th>filing number</th>
<th>algorithm</th><th>list</th><th>date basis</th><th>description</th></tr></thead><tbody></tbody></table>
<script id="timeline-data" type="application/json">{payload}</script>
<script>
(function () {{
  const rows = JSON.parse(document.getElementById("timeline-data").textContent);
  const limit = {limit};
  const groups = {groups};
  const q = document.getElementById("q"), type = document.getElementById("type");
  const body = document.querySelector("#timeline tbody"), count = document.getElementById("count");
  function render() {{
    const needle = q.value.trim().toLowerCase(), wanted = type.value;
    // a group's name, English or Chinese, finds its companies and every company named after it (as the CLI)
    const group = groups[needle];
    const matches = r => group ? (r[8] === group || (r[2] || "").includes(group)) : r[r.length - 1].includes(needle);
    const hits = rows.filter(r => (!wanted || r[1] === wanted) && (!needle || matches(r)));
    body.replaceChildren(...hits.slice(0, limit).map(r => {{
      const tr = document.createElement("tr");
      tr.className = "t-" + r[1];
      r.slice(0, 8).forEach(v => {{
        const td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      }});
      return tr;
    }}));
    const entities = new Set(hits.map(r => r[2]).filter(Boolean)).size;
    count.textContent = hits.length + " of " + rows.length + " events, " + entities + " entities" +
      (hits.length > limit ? " (first " + limit + " shown)" : "");
    document.getElementById("timeline").dataset.matches = hits.length;
  }}
  q.addEventListener("input", render);
  type.addEventListener("change", render);
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("q")) q.value = hash.get("q");
  if (hash.get("type")) type.value = hash.get("type");
  render();
}})();
</script>
</body></html>
"""
