"""Every entity findable in English and Chinese: dim_entities.name_en (seed or romanisation) and group
names in both languages, over the published sample warehouse (tests/event_fixtures.py)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from pathlib import Path

import duckdb
import pytest

from regtrail import settings
from regtrail.cli.analyst import main
from tests.test_publish import published_sample

MODEL = settings.REPO_ROOT / "dbt_project" / "models" / "intermediate" / "int_entity_romanised_names.py"
SEED = settings.REPO_ROOT / "dbt_project" / "seeds" / "entity_aliases.csv"


def _romaniser():
    spec = importlib.util.spec_from_file_location("int_entity_romanised_names", MODEL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.romanise


@pytest.mark.parametrize(("name", "expected"), [
    ("北京快手科技有限公司", "Beijing Kuaishou Keji Youxian Gongsi"),
    ("深圳市腾讯计算机系统有限公司", "Shenzhenshi Tengxun Jisuanji Xitong Youxian Gongsi"),
    ("新壹（北京）科技有限公司", "Xinyi (Beijing) Keji Youxian Gongsi"),
    ("上海MiniMax科技有限公司", "Shanghai MiniMax Keji Youxian Gongsi"),
    ("重庆长安汽车股份有限公司", "Chongqing Changan Qiche Gufen Youxian Gongsi"),
])
def test_romanisation_in_pinyin_words(name: str, expected: str) -> None:
    assert _romaniser()(name) == expected


def test_a_group_chinese_name_is_written_in_english() -> None:
    groups = [("阿里巴巴", "Alibaba"), ("华为", "Huawei")]
    assert _romaniser()("浙江阿里巴巴某某科技有限公司", groups).startswith("Zhejiang Alibaba ")
    assert _romaniser()("华为终端有限公司", groups) == "Huawei Zhongduan Youxian Gongsi"


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("names")
    return published_sample(tmp_path_factory.getbasetemp(), home, docs=False, report=False)


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def cli_json(*argv: str) -> list[dict]:
    out = io.StringIO()
    assert main([*argv, "--format", "json"], out=out) == 0
    return json.loads(out.getvalue())


@pytest.mark.dbt
def test_every_entity_has_an_english_name_and_its_source(wh: Path) -> None:
    seed = {row["entity_name_zh"]: row["entity_name_en"] for row in csv.DictReader(SEED.open(encoding="utf-8"))
            if row["entity_name_zh"]}
    found = rows(wh, "select entity_name_zh, name_en, name_en_source from dim_entities order by 1")
    assert found and all(name_en for _, name_en, _ in found)
    romanise = _romaniser()
    sources = set()
    for zh, name_en, source in found:
        sources.add(source)
        if seed.get(zh):
            assert (name_en, source) == (seed[zh], "seed"), zh
        else:
            assert source == "pinyin" and name_en.split(" ")[0] == romanise(zh).split(" ")[0], zh
    assert sources == {"seed", "pinyin"}  # the sample has reviewed and unreviewed names


@pytest.mark.dbt
def test_a_romanised_name_is_searchable(wh: Path) -> None:
    zh, name_en = rows(wh, "select entity_name_zh, name_en from dim_entities where name_en_source = 'pinyin' "
                           "order by 1 limit 1")[0]
    word = max(name_en.split(" "), key=len)
    events = cli_json("timeline", word.lower(), "--warehouse", str(wh))
    assert zh in {e["entity_name"] for e in events}


@pytest.mark.dbt
@pytest.mark.parametrize(("english", "chinese"), [("Alibaba", "阿里巴巴"), ("Meituan", "美团"), ("Kuaishou", "快手")])
def test_a_group_matches_in_english_and_chinese(wh: Path, english: str, chinese: str) -> None:
    in_english = cli_json("timeline", english, "--warehouse", str(wh))
    in_chinese = cli_json("timeline", chinese, "--warehouse", str(wh))
    assert in_english and in_english == in_chinese
