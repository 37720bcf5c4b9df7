"""The registry as a published warehouse holds it: list states and dates, listing and filing counts, month-precise
windows, approvals against their lists, two-registry filings, corrected genAI rows, the generative-AI
reconciliation and English-name sources. Prints figures, asserts nothing (the tests assert).

    REGTRAIL_HOME=/tmp/demo .venv/bin/regtrail demo
    .venv/bin/python bench/registry_report.py /tmp/demo/warehouse.duckdb
"""

from __future__ import annotations

import argparse

import duckdb

QUERIES: list[tuple[str, str]] = [
    ('lists by status',
     'select status, count(*) from fct_list_batches group by all order by 1 desc'),
    ('not parsed, dated',
     'select list_id, status, published_at, published_precision, published_latest, published_basis, '
     "expected_count from fct_list_batches where status <> 'parsed'"),
    ('listings / distinct filings / on 2023-09-01',
     'select count(*), count(distinct filing_number), count(*) filter (where event_date = date '
     "'2023-09-01') from fct_timeline_events where event_type = 'filing_listed'"),
    ('fct_filings rows',
     'select count(*) from fct_filings'),
    ('month-precise listing events with a window under a month',
     "select count(*) from fct_timeline_events where published_precision = 'month' and event_type in "
     "('filing_listed','filing_changed','filing_cancelled') and event_date_latest < "
     "cast(date_trunc('month', event_date) + interval 1 month - interval 1 day as date)"),
    ('month-precise events by type',
     "select event_type, count(*) from fct_timeline_events where published_precision = 'month' group "
     'by all'),
    ('approvals after their list (approved_date > announced_date)',
     'select count(*) from fct_genai_approvals where approved_date > announced_date'),
    ("approvals after their list's stated date (old inference)",
     'select count(*) from fct_genai_approvals a join intermediate.int_genai_lists l using (list_id) '
     'where a.approved_date > l.stated_published_at'),
    ('two registries',
     'select count(*) filter (where len(list_types) > 1), count(*) filter (where lists_count > 1) from'
     ' fct_filings'),
    ('their listing events keep their own type',
     'select e.list_type, count(*) from fct_timeline_events e join fct_filings f using (filing_number)'
     " where e.event_type='filing_listed' and len(f.list_types) > 1 group by all"),
    ('model names as organisations',
     'select count(*) from dim_entities where entity_name_zh in (select entity_name_raw from '
     'fct_genai_approvals where is_corrected)'),
    ('swapped companies present',
     'select count(*) from dim_entities where entity_name_zh in (select entity_name from '
     'fct_genai_approvals where is_corrected)'),
    ('genai list dates',
     'select period, published_at, published_latest, published_precision, published_basis, '
     'published_note from fct_genai_reconciliation order by published_at'),
    ('reconciliation',
     'select period, filing_rows, registration_rows, ondevice_rows, cumulative_filed, '
     'cumulative_ondevice, cumulative_registered, official_as_of, official_filed, official_registered,'
     ' filed_difference, registered_difference, registration_seq_skipped, status from '
     'fct_genai_reconciliation order by published_at'),
    ('2026-08-31 explanation',
     "select explanation from fct_genai_reconciliation where official_as_of = date '2026-08-31'"),
    ('news linked to lists',
     'select list_id, evidence, count(*) from intermediate.int_news_list_links group by all order by 1'),
    ('approval announced vs approved',
     'select count(*), count(*) filter (where announced_date > event_date), median(announced_date - '
     "event_date) from fct_timeline_events where event_type='approval_announced'"),
    ('English name sources',
     'select name_en_source, count(*) from dim_entities group by all order by 2 desc'),
    ('names with Gongsi/Youxian letters',
     "select entity_name_zh, name_en from dim_entities where name_en ilike '%gongsi%' or name_en ilike"
     " '%youxian%'"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", help="a published warehouse.duckdb")
    with duckdb.connect(parser.parse_args().warehouse, read_only=True) as con:
        for title, sql in QUERIES:
            print(f"-- {title}")
            for row in con.execute(sql).fetchall():
                print("  ", row)


if __name__ == "__main__":
    main()
