"""The analyst CLI over a published warehouse of the sample event log (tests/support/events.py).

Two clocks in the sample: the lists were published 2022-08-12 (algorithm recommendation) and
2023-09-01 (deep synthesis); regtrail fetched both on 2025-06-02. So "valid on 2023-01-01" shows
the 2022 list only, while "as of 2025-06-01" knows nothing yet.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from regtrail.cli.analyst import main
from tests.support.events import (
    AR_LIST_ID,
    AR_ROWS,
    CANCELLED_NUMBER,
    CROSS_LIST_NUMBER,
    DS_LIST_ID,
    DS_ROWS,
)
from tests.support.warehouse import REPO_ROOT, published_sample

pytestmark = pytest.mark.dbt

KUAISHOU = "北京快手科技有限公司"
AR_DATE, DS_DATE, OBSERVED = "2022-08-12", "2023-09-01", "2025-06-02"


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("analyst")
    return published_sample(tmp_path_factory.getbasetemp(), home, docs=False, report=False)


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def cli_json(*argv: str):
    code, text = cli(*argv, "--format", "json")
    assert code == 0, text
    return json.loads(text)


def test_timeline_of_an_entity_by_chinese_name_fragment(wh: Path) -> None:
    events = cli_json("timeline", "快手", "--warehouse", str(wh))
    assert {e["entity_name"] for e in events} == {KUAISHOU}
    assert [(e["event_date"], e["event_type"], e["list_id"]) for e in events] == [
        (AR_DATE, "filing_listed", AR_LIST_ID),
        (DS_DATE, "filing_changed", DS_LIST_ID),  # the purpose was reworded in the later list
        (DS_DATE, "filing_listed", DS_LIST_ID),
    ]
    assert {e["filing_number"] for e in events} == {CROSS_LIST_NUMBER}


def test_valid_on_and_as_of_answer_different_questions(wh: Path) -> None:
    valid = cli_json("timeline", "快手", "--warehouse", str(wh), "--valid-on", "2023-01-01")
    assert [(e["event_date"], e["event_type"]) for e in valid] == [(AR_DATE, "filing_listed")]
    assert cli_json("timeline", "快手", "--warehouse", str(wh), "--as-of", "2025-06-01") == []
    known = cli_json("timeline", "快手", "--warehouse", str(wh), "--as-of", OBSERVED)
    assert len(known) == 3 and all(e["observed_at"].startswith(OBSERVED) for e in known)
    both = cli_json("timeline", "快手", "--warehouse", str(wh), "--as-of", OBSERVED, "--valid-on", "2023-01-01")
    assert both == valid


def test_english_names_aliases_and_groups_are_searched_when_present(wh: Path, tmp_path: Path) -> None:
    names = ("Test Name Alpha Technology", "ALIAS-ZETA", "group omega")  # values no source provides
    for query in names:  # no match: exit status 1, like grep
        assert cli("timeline", query, "--warehouse", str(wh), "--format", "json") == (1, "[]\n")
    copy = tmp_path / "named.duckdb"
    shutil.copy2(wh, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("update dim_entities set name_en = 'Test Name Alpha Technology Co., Ltd.', "
                    "aliases = ['alias-zeta'], group_name = 'Group Omega' where entity_name_zh = ?", [KUAISHOU])
    for query in ("name alpha technology", *names):
        events = cli_json("timeline", query, "--warehouse", str(copy))
        assert {e["entity_name"] for e in events} == {KUAISHOU}, query
    code, table = cli("timeline", "zeta", "--warehouse", str(copy))
    assert code == 0 and "Test Name Alpha Technology" in table and "Group Omega" in table


def test_batches_with_counts_and_dates(wh: Path) -> None:
    code, text = cli("batches", "--warehouse", str(wh), "--format", "csv")
    assert code == 0
    rows = {r["list_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {AR_LIST_ID, DS_LIST_ID}
    ar, ds = rows[AR_LIST_ID], rows[DS_LIST_ID]
    assert (ar["published_at"], ds["published_at"]) == (AR_DATE, DS_DATE)
    assert (ar["parsed_rows"], ds["parsed_rows"]) == (str(len(AR_ROWS)), str(len(DS_ROWS)))
    ar_numbers, ds_numbers = {r[6] for r in AR_ROWS}, {r[6] for r in DS_ROWS}
    assert ar["new_filings"] == str(len(ar_numbers))
    assert ds["new_filings"] == str(len(ds_numbers - ar_numbers))  # the cross-listed filing is not new
    assert ds["distinct_filings"] == str(len(ds_numbers))
    # sample log: 已注销 on one 2022 row; changes: one dated remark (2022 list), a change remark and a
    # reworded purpose (2023 list)
    assert (ar["cancelled"], ar["changed"], ds["cancelled"], ds["changed"]) == ("1", "1", "0", "2")
    assert [r["list_id"] for r in cli_json("batches", "--warehouse", str(wh), "--valid-on", "2023-01-01")] == [
        AR_LIST_ID]
    assert cli_json("batches", "--warehouse", str(wh), "--as-of", "2025-06-01") == []
    assert [r["list_id"] for r in cli_json("batches", "--warehouse", str(wh), "--list-type", "deep_synthesis")] == [
        DS_LIST_ID]


def test_filing_with_its_history(wh: Path) -> None:
    document = cli_json("filing", CANCELLED_NUMBER, "--warehouse", str(wh))
    assert document["filing"]["status"] == "cancelled"
    # the list gives no date: cancelled on or before the list's publication
    assert sorted((e["event_date"], e["event_type"]) for e in document["history"]) == [
        (AR_DATE, "filing_cancelled"), (AR_DATE, "filing_listed")]
    # valid on the day before the list: not listed yet
    before = cli_json("filing", CANCELLED_NUMBER, "--warehouse", str(wh), "--valid-on", "2022-08-11")
    assert before["filing"]["status"] is None and before["history"] == []
    valid = cli_json("filing", CANCELLED_NUMBER, "--warehouse", str(wh), "--valid-on", AR_DATE)
    assert valid["filing"]["status"] == "cancelled" and len(valid["history"]) == 2
    # as of that date regtrail had not fetched anything yet
    unknown = cli_json("filing", CANCELLED_NUMBER, "--warehouse", str(wh), "--as-of", "2025-06-01")
    assert unknown["filing"]["known"] is False and unknown["history"] == []


def test_filing_by_a_unique_part_of_the_number(wh: Path, capsys) -> None:
    document = cli_json("filing", "413760701220011", "--warehouse", str(wh))
    assert document["filing"]["filing_number"] == CROSS_LIST_NUMBER
    assert document["filing"]["lists_count"] == 2
    assert [e["list_id"] for e in document["history"] if e["event_type"] == "filing_listed"] == [
        AR_LIST_ID, DS_LIST_ID]
    code, _ = cli("filing", "网信算备", "--warehouse", str(wh))
    assert code == 1 and "filing or approval numbers contain" in capsys.readouterr().err


def test_table_output_through_the_module_entry_point(wh: Path) -> None:
    before = (wh.stat().st_mtime_ns, wh.stat().st_size)
    out = subprocess.run([sys.executable, "-m", "regtrail", "filing", CROSS_LIST_NUMBER,
                          "--warehouse", str(wh)], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"filing {CROSS_LIST_NUMBER}" in out.stdout and "history: 3 events" in out.stdout
    assert "filing_changed" in out.stdout and DS_LIST_ID in out.stdout
    assert (wh.stat().st_mtime_ns, wh.stat().st_size) == before, "the CLI must not write to the warehouse"
    assert not wh.with_name(wh.name + ".wal").exists()


def test_cli_works_beside_another_read_only_process(wh: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], "
                               "read_only=True); print('ready', flush=True); sys.stdin.readline()", str(wh)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert len(cli_json("batches", "--warehouse", str(wh))) == 2
    finally:
        holder.communicate("\n", timeout=30)


def test_missing_warehouse_is_a_clear_error(tmp_path: Path, capsys) -> None:
    code, _ = cli("batches", "--warehouse", str(tmp_path / "nope.duckdb"))
    assert code == 2 and "no warehouse at" in capsys.readouterr().err


CLOCKS = [("--valid-on", "2022-08-11"), ("--valid-on", "2023-01-01"), ("--valid-on", DS_DATE),
          ("--as-of", "2025-06-01"), ("--as-of", OBSERVED), ("--as-of", OBSERVED, "--valid-on", "2023-01-01"),
          ("--as-of", "2023-01-01", "--valid-on", "2024-01-01")]


@pytest.mark.parametrize("clock", CLOCKS, ids=lambda c: "_".join(c))
def test_every_view_counts_the_same_events_under_a_clock(wh: Path, clock: tuple[str, ...]) -> None:
    """timeline (events and entity header), batches, filing, regions and the report agree on one clock:
    the sample has a list published after 2023-01-01 (the deep-synthesis list, 2023-09-01), a change
    between the lists, and a cancellation (已注销, 2022 list)."""
    from datetime import date as day_type

    from regtrail.analyst import queries, report

    options = dict(zip(clock[::2], clock[1::2], strict=True))
    as_of, valid_on = options.get("--as-of"), options.get("--valid-on")
    day = min(d for d in (as_of, valid_on) if d)
    with duckdb.connect(str(wh), read_only=True) as con:  # the oracle: every event, filtered here
        con.execute("set TimeZone = 'UTC'")
        everything = con.execute("select event_type, event_date::varchar, observed_at::date::varchar, filing_number, "
                                 "list_id, entity_name from fct_timeline_events").fetchall()
        batches_all = con.execute("select list_id, coalesce(published_at::varchar, '2023-06-01'), "
                                  "first_observed_at::date::varchar from fct_list_batches").fetchall()
    kept = [e for e in everything if e[1] <= day and (not as_of or e[2] <= as_of)]
    listed = {e[3] for e in kept if e[0] == "filing_listed"}
    cancelled = {e[3] for e in kept if e[0] == "filing_cancelled"} & listed
    changed = [e for e in kept if e[0] == "filing_changed"]
    lists = {b[0] for b in batches_all if b[1] <= day and (not as_of or (b[2] or "9999") <= as_of)}

    batches = cli_json("batches", "--warehouse", str(wh), *clock)
    assert {b["list_id"] for b in batches} == lists
    assert sum(b["new_filings"] for b in batches) == len(listed)
    assert sum(b["changed"] for b in batches) == len(changed)
    assert sum(b["cancelled"] for b in batches) == len(cancelled)

    events = cli_json("timeline", "快手", "--warehouse", str(wh), *clock)
    assert sorted((e["event_type"], e["event_date"], e["list_id"]) for e in events) == sorted(
        (e[0], e[1], e[4]) for e in kept if e[5] == KUAISHOU)
    with duckdb.connect(str(wh), read_only=True) as con:
        parsed = queries.Clock(*(day_type.fromisoformat(d) if d else None for d in (as_of, valid_on)))
        header = queries.find_entities(con, "快手", parsed)
        html = report.render(con, clock=parsed)
    kuaishou = {e[3] for e in kept if e[5] == KUAISHOU and e[0] == "filing_listed"}
    assert [(h["entity_name_zh"], h["filings_count"], h["active_filings_count"]) for h in header] == [
        (KUAISHOU, len(kuaishou), len(kuaishou))]
    dates = [e[1] for e in kept if e[5] == KUAISHOU and e[0] == "filing_listed"]
    last = header[0]["last_listed_date"]
    assert (last.isoformat() if last else None) == (max(dates) if dates else None)

    for number in (CROSS_LIST_NUMBER, CANCELLED_NUMBER):
        document = cli_json("filing", number, "--warehouse", str(wh), *clock)
        assert document["filing"]["lists_count"] == sum(1 for e in kept if e[3] == number and e[0] == "filing_listed")
        expected = None if number not in listed else ("cancelled" if number in cancelled else "active")
        assert document["filing"]["status"] == expected

    regions = cli_json("regions", "--warehouse", str(wh), *clock)
    assert sum(r["filings"] for r in regions) == len(listed)
    assert sum(r["cancelled"] for r in regions) == len(cancelled)

    cards = dict((label, int(n)) for n, label in re.findall(r"<div class=\"card\"><b>(\d+)</b>(\w+)</div>", html))
    assert cards["filings"] == len(listed) and cards["cancelled"] == len(cancelled)
    assert f"<b>{sum(1 for b in batches if b['status'] == 'parsed')} / {len(lists)}</b>" in html


def test_a_list_known_only_from_its_notice_exists_from_its_batch_month(wh: Path, tmp_path: Path) -> None:
    """A list announced on a notice page whose attachment was never fetched has no publication date:
    under either clock it does not exist before the first day of its batch month, nor, on the
    knowledge clock, before regtrail saw the notice (the case `batches --as-of` used to show)."""
    copy = tmp_path / "announced.duckdb"
    shutil.copy2(wh, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("insert into fct_list_batches (list_id, list_type, batch_label, status, reconciled, "
                    "first_observed_at) values ('deep_synthesis:2024年6月', 'deep_synthesis', '2024年6月', "
                    "'not_available', false, timestamptz '2025-06-02 01:20:00+00')")

    def listed(*clock: str) -> set[str]:
        return {b["list_id"] for b in cli_json("batches", "--warehouse", str(copy), *clock)}

    announced = "deep_synthesis:2024年6月"
    assert announced in listed()
    assert announced not in listed("--valid-on", "2024-05-31")
    assert announced in listed("--valid-on", "2024-06-01")
    assert announced not in listed("--as-of", "2025-06-01")  # the notice was not seen yet
    assert announced in listed("--as-of", OBSERVED)
    assert announced not in listed("--as-of", OBSERVED, "--valid-on", "2024-05-31")


def test_unknown_option_values_are_refused_with_the_valid_ones(wh: Path, capsys) -> None:
    assert main(["batches", "--list-type", "deepfake", "--warehouse", str(wh)]) == 2
    error = capsys.readouterr().err
    assert "unknown list type 'deepfake'" in error and "algo_recommendation" in error and "deep_synthesis" in error
    assert main(["timeline", "快手", "--event-type", "listed", "--warehouse", str(wh)]) == 2
    error = capsys.readouterr().err
    assert "unknown event type 'listed'" in error and "filing_listed" in error and "news_reported" in error
    listed = cli_json("timeline", "快手", "--event-type", "filing_listed", "--warehouse", str(wh))
    assert len(listed) == 2 and {e["event_type"] for e in listed} == {"filing_listed"}
    ds = cli_json("batches", "--list-type", "deep_synthesis", "--warehouse", str(wh))
    assert {b["list_type"] for b in ds} == {"deep_synthesis"}
