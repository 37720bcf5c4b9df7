"""The record contract (regtrail/log/records.py): staging models, docs/EVENTS.md, the sources, `parse`.

`parse FILE` runs the sources' own code in a dry run: its output must be the records a crawl of the
mirror appended for the same document, compared payload by payload.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from regtrail import settings
from regtrail.crawl import runner
from regtrail.crawl.source_cache import SOURCES_DIR, validated_config, validated_data
from regtrail.crawl.sources import SourceConfigError, read_config
from regtrail.log import events, records, records_doc
from regtrail.log.digest import canonical_json, sha256
from regtrail.mirror.server import start_mirror
from regtrail.mirror.site import build_site

STAGING = settings.REPO_ROOT / "dbt_project" / "models" / "staging"
JSON_READ = re.compile(r"json_\w+\('payload', '(\w+)'\)")
JSON_FIELDS = re.compile(r"json_text_fields\('payload', \[(.*?)\]\)", re.S)
RECORD_TYPE = re.compile(r"record_type (?:= '(\w+)'|in \(([^)]*)\))")


def staging_reads() -> dict[str, tuple[list[str], set[str]]]:
    """Per staging model: the record types it selects and the payload fields it reads."""
    found = {}
    for path in sorted(STAGING.glob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        types = [t for one, many in RECORD_TYPE.findall(sql) for t in ([one] if one else re.findall(r"'(\w+)'", many))]
        fields = set(JSON_READ.findall(sql))
        for listed in JSON_FIELDS.findall(sql):
            fields |= set(re.findall(r"'(\w+)'", listed))
        if fields:
            found[path.stem] = (types, fields)
    return found


def test_every_payload_field_a_staging_model_reads_is_in_the_contract() -> None:
    reads = staging_reads()
    # every record type is unpacked by a staging model (so the parsing above found them all)
    assert {t for types, _ in reads.values() for t in types} == set(records.RECORD_TYPES)
    missing = {}
    for model, (types, fields) in reads.items():
        assert types, f"{model} reads payload fields but selects no record type"
        for record_type in types:
            assert record_type in records.RECORD_TYPES, (model, record_type)
            unknown = fields - set(records.field_names(record_type))
            if unknown:
                missing[(model, record_type)] = sorted(unknown)
    assert missing == {}


def test_events_md_is_generated_from_the_contract() -> None:
    current = records_doc.EVENTS_MD.read_text(encoding="utf-8")
    assert records_doc.render(current) == current, "run: python -m regtrail.log.records_doc"
    for record_type in records.RECORD_TYPES:
        assert f"### `{record_type}`" in current
    stale = current.replace("| row_index | int |", "| row_index | str |", 1)
    assert records_doc.render(stale) == current
    # the hand-written tables of the event columns name every column of the segment schemas
    documented = {name.strip() for line in current.splitlines() if (m := re.match(r"\| ([a-z_, ]+) \|", line))
                  for name in m.group(1).split(",")}
    for kind, schema in events.KINDS.items():
        assert set(schema.names) <= documented, (kind, set(schema.names) - documented)


def test_the_contract_rejects_drifted_payloads() -> None:
    filing = dict(row_index=1, seq="1", seq_auto=False, algorithm_name="a", role="服务提供者", entity_name="e",
                  products="p", purpose="u", filing_number="网信算备110108000000001230001号", remark="",
                  list_type="deep_synthesis", batch_label="2023年8月", list_id="deep_synthesis:2023年8月")
    payload = records.record("filing", filing).payload()
    assert "algorithm_category" not in payload and payload["extra"] == {}  # optional fields left out
    for broken in ({**filing, "row_index": "1"}, {**filing, "seq_auto": "no"}, {**filing, "listid": "x"},
                   {k: v for k, v in filing.items() if k != "list_id"}):
        with pytest.raises(records.ContractError):
            records.record("filing", broken)
    with pytest.raises(records.ContractError):
        records.record("filing_withdrawn", filing)


def _parse_cli(*args: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "regtrail", "parse", *args], capture_output=True, text=True,
                         cwd=settings.REPO_ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def _as_printed(row: dict) -> dict:
    return {"record_type": row["record_type"], "record_key": row["record_key"], **json.loads(row["payload"])}


@pytest.mark.parametrize("name", ["deep_synthesis_2024-04", "algo_recommendation_2023-01"])
def test_parse_prints_what_a_crawl_appends_for_a_real_docx(home: Path, tmp_path: Path, monkeypatch,
                                                           shared: Path, name: str) -> None:
    source = "cac_deep_synthesis" if name.startswith("deep") else "cac_algo_recommendation"
    with start_mirror(build_site(shared.parent)) as mirror:
        monkeypatch.setenv("REGTRAIL_MIRROR", mirror.origin)
        runner.crawl([source], run_key="contract")
        body = (shared / "original_docx" / f"{name}.docx").read_bytes()
        logged = [r for r in events.read_events(home, "records").to_pylist() if r["document_digest"] == sha256(body)]
        assert logged and len({r["document_url"] for r in logged}) == 1, "the mirror serves the real file"
        (publication,) = [json.loads(r["payload"]) for r in logged if r["record_type"] == "list_publication"]
        page = requests.get(mirror.origin + "/" + publication["notice_url"].removeprefix("https://"), timeout=10)
    saved, notice = tmp_path / f"{name}.docx", tmp_path / "notice.htm"
    saved.write_bytes(body)
    notice.write_bytes(page.content)

    printed = _parse_cli(str(saved), "--url", publication["attachment_url"], "--notice", str(notice),
                         "--notice-url", publication["notice_url"])
    crawled = [_as_printed(r) for r in logged]
    assert len(printed) == len(crawled) == publication["row_count"] + 1
    assert sorted(printed, key=canonical_json) == sorted(crawled, key=canonical_json)
    # Without the notice page: what `ingest ATTACHMENT_URL` appends; every filing record is the same.
    bare = _parse_cli(str(saved), "--url", publication["attachment_url"])
    assert [r for r in bare if r["record_type"] == "filing"] == [r for r in printed if r["record_type"] == "filing"]


def test_parse_of_a_docx_imports_only_what_parsing_needs(shared: Path) -> None:
    """`regtrail parse` (issue 13: start fast) loads neither the fetch stack, the event log, the HTML or PDF
    readers, python-docx, the Typer application, nor pydantic (the validated source config is read from its cache)."""
    path = shared / "original_docx" / "deep_synthesis_2024-04.docx"
    for config in SOURCES_DIR.glob("*/source.yml"):  # the caches a first run writes (it validates with pydantic)
        validated_data(config.parent.name)
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "regtrail", "parse", str(path)],
                         capture_output=True, text=True, cwd=settings.REPO_ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert {"regtrail.crawl.dryrun", "regtrail.parsers.docx_list", "lxml.etree"} <= imported
    heavy = {"pyarrow", "fsspec", "requests", "warcio", "bs4", "pdfplumber", "docx", "typer", "pydantic",
             "regtrail.crawl.context"}
    assert heavy & imported == set()


def test_cached_source_config_is_the_validated_one_and_follows_the_yaml(tmp_path: Path) -> None:
    source = tmp_path / "cac_deep_synthesis"
    source.mkdir()
    yml = (SOURCES_DIR / "cac_deep_synthesis" / "source.yml").read_text(encoding="utf-8")
    (source / "source.yml").write_text(yml, encoding="utf-8")
    first = validated_data("cac_deep_synthesis", tmp_path)
    assert first == read_config(source / "source.yml").model_dump(mode="json")
    assert validated_config("cac_deep_synthesis", tmp_path).model_dump() == first
    genai = read_config(SOURCES_DIR / "cac_genai" / "source.yml")
    cached = validated_config("cac_genai")
    assert cached.notices[0].attachments[0].model_dump() == genai.notices[0].attachments[0].model_dump()
    assert len(list((source / "__pycache__").glob("source.*.json"))) == 1
    (source / "source.yml").write_text(yml.replace("rate_limit_per_second: ", "rate_limit_per_second: 0.25 #"),
                                       encoding="utf-8")
    changed = validated_data("cac_deep_synthesis", tmp_path)
    assert changed["rate_limit_per_second"] == 0.25 != first["rate_limit_per_second"]
    (source / "source.yml").write_text(yml.replace("\nname: ", "\nname: other_"), encoding="utf-8")
    with pytest.raises(SourceConfigError):
        validated_data("cac_deep_synthesis", tmp_path)
