"""English names an analyst accepts (regtrail.names): the translation rules, the reviewed seed of official
names, the targets over every organisation of the real registry (../shared), and one dbt build whose
warehouse is searched in English (the sample log plus the real rows of the organisations searched)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from regtrail import settings
from regtrail.cli.analyst import main
from regtrail.names import OFFICIAL, ROMANISED, TRANSLATED, memo
from regtrail.names.data import (
    GROUPS_SEED,
    OFFICIAL_SEED,
    english_names,
    normalise,
    official_names,
    shared_organisations,
    translator,
)
from regtrail.names.glossary import BRANDS
from regtrail.names.translate import (
    Translator,
    legal_form_pinyin,
    places_from_admin_codes,
    provinces_from_admin_codes,
)
from tests.support.events import AR, DS, _document, _list_records, _Log, write_sample_log
from tests.support.warehouse import run_dbt_build

LEGAL_FORM_PINYIN = re.compile(r"gongsi|youxian ?zeren|youxian ?gongsi|gufen ?youxian|\bgufen\b", re.IGNORECASE)

# Thirty well-known organisations of the real lists, held to reviewed English names (official where the seed
# has the organisation's own English name, else the translation with the brand it writes in English).
WELL_KNOWN = {
    "深圳市腾讯计算机系统有限公司": "Shenzhen Tencent Computer Systems Co., Ltd.",
    "北京抖音信息服务有限公司": "Beijing Douyin Information Service Co., Ltd.",
    "小米科技有限责任公司": "Xiaomi Inc.",
    "北京百度网讯科技有限公司": "Beijing Baidu Netcom Science and Technology Co., Ltd.",
    "联想（北京）有限公司": "Lenovo (Beijing) Limited",
    "上海商汤智能科技有限公司": "Shanghai SenseTime Intelligent Technology Co., Ltd.",
    "北京快手科技有限公司": "Beijing Kuaishou Technology Co., Ltd.",
    "广州网易计算机系统有限公司": "Guangzhou NetEase Computer System Co., Ltd.",
    "北京智谱华章科技有限公司": "Beijing Zhipu Huazhang Technology Co., Ltd.",
    "支付宝（杭州）数字服务技术有限公司": "Alipay (Hangzhou) Digital Service Technology Co., Ltd.",
    "杭州深度求索人工智能基础技术研究有限公司":
        "Hangzhou DeepSeek Artificial Intelligence Basic Technology Research Co., Ltd.",
    "北京月之暗面科技有限公司": "Beijing Moonshot Technology Co., Ltd.",
    "北京零一万物科技有限公司": "Beijing 01.AI Technology Co., Ltd.",
    "维沃移动通信有限公司": "vivo Mobile Communication Co., Ltd.",
    "OPPO广东移动通信有限公司": "Guangdong OPPO Mobile Telecommunications Corp., Ltd.",
    "北京面壁智能科技有限责任公司": "Beijing ModelBest Intelligent Technology Co., Ltd.",
    "蚂蚁区块链科技（上海）有限公司": "Ant Blockchain Technology (Shanghai) Co., Ltd.",
    "滴滴出行科技有限公司": "Didi Chuxing Technology Co., Ltd.",
    "北京爱奇艺科技有限公司": "Beijing iQIYI Science & Technology Co., Ltd.",
    "京东方科技集团股份有限公司": "BOE Technology Group Co., Ltd.",
    "科大讯飞股份有限公司": "iFlytek Co., Ltd.",
    "华为云计算技术有限公司": "Huawei Cloud Computing Technologies Co., Ltd.",
    "中兴通讯股份有限公司": "ZTE Corporation",
    "北京金山办公软件股份有限公司": "Beijing Kingsoft Office Software Inc.",
    "上海稀宇科技有限公司": "Shanghai Xiyu Technology Co., Ltd.",
    "中国工商银行股份有限公司": "Industrial and Commercial Bank of China Limited",
    "北京智源人工智能研究院": "Beijing Academy of Artificial Intelligence",
    "中国科学院自动化研究所": "Institute of Automation, Chinese Academy of Sciences",
    "上海任意门科技有限公司": "Shanghai Soulgate Technology Co., Ltd.",
    "北京智者天下科技有限公司": "Beijing Zhizhe Tianxia Technology Co., Ltd.",
}


@pytest.fixture(scope="module")
def plain() -> Translator:
    """The seeds' places, no brand: the translation rules alone."""
    return Translator(places_from_admin_codes([("110000", "北京市"), ("310000", "上海市"), ("440300", "深圳市"),
                                               ("330100", "杭州市"), ("610100", "西安市"), ("320583", "昆山市"),
                                               ("330110", "余杭区")]))


@pytest.mark.parametrize(("name", "expected"), [
    ("北京月之暗面科技有限公司", "Beijing Yuezhi Anmian Technology Co., Ltd."),
    ("北京睿途星耀科技有限公司", "Beijing Ruitu Xingyao Technology Co., Ltd."),  # jieba's guessed word, read by twos
    ("深圳市腾讯计算机系统有限公司", "Shenzhen Tengxun Computer System Co., Ltd."),
    ("新壹（北京）科技有限公司", "Xinyi (Beijing) Technology Co., Ltd."),
    ("上海MiniMax科技有限公司", "Shanghai MiniMax Technology Co., Ltd."),
    ("杭州动悦信息技术有限公司", "Hangzhou Dongyue Information Technology Co., Ltd."),
    ("北京某某网络科技股份有限公司", "Beijing Moumou Network Technology Co., Ltd."),
    ("北京智能科技有限责任公司", "Beijing Intelligent Technology Co., Ltd."),
    ("上海某某文化传媒有限公司", "Shanghai Moumou Culture Media Co., Ltd."),
    ("西安某某电子商务有限公司", "Xi'an Moumou E-Commerce Co., Ltd."),
    ("北京智源人工智能研究院", "Beijing Zhiyuan Artificial Intelligence Research Institute"),
    ("同济大学", "Tongji University"),
    ("上海人工智能创新中心", "Shanghai Artificial Intelligence Innovation Center"),
    ("京东方科技集团股份有限公司", "Jingdongfang Technology Group Co., Ltd."),
    ("中国工商银行股份有限公司昆山分行", "China Gongshang Bank Co., Ltd. Kunshan Branch"),
    ("杭州市余杭区某某软件工作室", "Hangzhou Yuhang District Moumou Software Studio"),
])
def test_translation_place_trade_name_industry_form(plain: Translator, name: str, expected: str) -> None:
    assert plain.translate(name) == (expected, TRANSLATED)


@pytest.fixture(scope="module")
def seeded() -> Translator:
    """The translator over the seeds: places of the admin-code table, brands of the glossary and groups seed."""
    return translator()


@pytest.mark.parametrize(("name", "expected"), [
    # brands, a whole first word (or run of words) of the trade name
    ("五八到家有限公司", "58 Daojia Co., Ltd."),
    ("北京五八赶集优才信息技术有限公司", "Beijing 58 Ganji Youcai Information Technology Co., Ltd."),
    ("平安科技（深圳）有限公司", "Ping An Technology (Shenzhen) Co., Ltd."),
    ("万兴科技（湖南）有限公司", "Wondershare Technology (Hunan) Co., Ltd."),
    ("深圳力维智联技术有限公司", "Shenzhen ZNV Zhilian Technology Co., Ltd."),
    ("上海米哈游秘法科技有限公司", "Shanghai miHoYo Mifa Technology Co., Ltd."),
    ("北京金山云网络技术有限公司", "Beijing Kingsoft Cloud Network Technology Co., Ltd."),
    # a brand jieba splits is a word of the tokenizer (硅基智能, not 硅基 智能科技)
    ("南京硅基智能科技集团股份有限公司", "Nanjing Silicon Intelligence Technology Group Co., Ltd."),
    # brands following each other (天翼 爱音乐), not 天翼爱 + Music
    ("天翼爱音乐文化科技有限公司", "Tianyi iMusic Culture Technology Co., Ltd."),
    # a brand found once a compound's glossary suffix is split off (海尔集团 -> 海尔 集团)
    ("海尔集团（青岛）金盈控股有限公司", "Haier Group (Qingdao) Jinying Holdings Co., Ltd."),
    # a place and a brand in one word of jieba (青岛海尔)
    ("青岛海尔多媒体有限公司", "Qingdao Haier Multimedia Co., Ltd."),
    # a brand that is a whole name wins over the forms it ends with (not Harbin University of Technology)
    ("哈尔滨工业大学", "Harbin Institute of Technology"),
    # 联通 alone is China Unicom; 数据智能 ending the name is a noun
    ("联通数据智能有限公司", "China Unicom Data Intelligence Co., Ltd."),
    ("深圳元始智能有限公司", "Shenzhen Yuanshi Intelligence Co., Ltd."),
    # industry words of the glossary
    ("金保信社保卡科技有限公司", "Jinbaoxin Social Security Card Technology Co., Ltd."),
    ("深圳市懒人在线科技有限公司", "Shenzhen Lanren Online Technology Co., Ltd."),
    # a rare word of jieba's dictionary split before a glossary word (通科技 -> 通 科技)
    ("北京分贝通科技有限公司", "Beijing Fenbeitong Technology Co., Ltd."),
    # a trade name has two characters or more: a lone one joins a two-character word after it
    ("北京首发展智能科技有限公司", "Beijing Shoufazhan Intelligent Technology Co., Ltd."),
    # a single character and the glossary word it starts (大 数据科技 -> 大数据 科技)
    ("浪潮（山东）大数据科技有限公司", "Inspur (Shandong) Big Data Technology Co., Ltd."),
    # ... and the last character of a word jieba guessed (云润大 数据服务 -> 云润 大数据 服务)
    ("云润大数据服务有限公司", "Yunrun Big Data Service Co., Ltd."),
    # foreign companies by their own name
    ("西门子（中国）有限公司", "Siemens (China) Co., Ltd."),
    # 与/和 between glossary words
    ("北京微芯区块链与边缘计算研究院", "Beijing Weixin Blockchain and Edge Computing Research Institute"),
    # places: customary spellings, readings of place names, regions at a name's start
    ("哈尔滨思和信息技术股份有限公司", "Harbin Sihe Information Technology Co., Ltd."),
    ("长治市玖安网络科技有限公司", "Changzhi Jiu'an Network Technology Co., Ltd."),
    ("上海朝阳永续信息技术股份有限公司", "Shanghai Chaoyang Yongxu Information Technology Co., Ltd."),
    ("粤港澳大湾区数字经济研究院", "Guangdong-Hong Kong-Macao Greater Bay Area Digital Economy Research Institute"),
    ("华东师范大学", "East China Normal University"),
    # institutions: university forms, units of a university, hospitals, centres
    ("北京邮电大学", "Beijing University of Posts and Telecommunications"),
    ("重庆医科大学附属第二医院", "Chongqing Medical University Affiliated Second Hospital"),
    ("广东省疾病预防控制中心", "Guangdong Center for Disease Control and Prevention"),
])
def test_translation_rules_over_the_seeds(seeded: Translator, name: str, expected: str) -> None:
    assert seeded.translate(name) == (expected, TRANSLATED)


def test_rules_keep_to_their_place(seeded: Translator) -> None:
    """A region after a place is part of the trade name; 大学生 (a student) is no university's unit; a brand
    jieba's dictionary lacks is read as an unknown word where no brand applies."""
    assert seeded.translate("武汉华中数控股份有限公司")[0] == "Wuhan Huazhong Shukong Co., Ltd."
    assert seeded.translate("北京大学生创业服务有限公司")[0].startswith("Beijing Daxuesheng ")
    assert Translator().translate("北京月之暗面科技有限公司")[0] == "Beijing Yuezhi Anmian Technology Co., Ltd."


def test_legal_form_pinyin_told_from_a_trade_name() -> None:
    assert legal_form_pinyin("天津又闲网络科技有限公司", "Tianjin Youxian Network Technology Co., Ltd.") == {}
    assert legal_form_pinyin("家悠享家政服务有限公司", "Jiayouxiang Housekeeping Service Co., Ltd.") == {}
    assert legal_form_pinyin("天津又闲网络科技有限公司", "Tianjin Youxian Network Technology Youxian Gongsi") == {
        "youxian": 1, "gongsi": 1}
    assert legal_form_pinyin("某某科技股份有限公司", "Moumou Technology Gufen Youxian Gongsi") == {
        "gufen": 1, "youxian": 1, "gongsi": 1}


def test_romanised_only_where_nothing_applies(plain: Translator) -> None:
    assert plain.translate("朴食AI营养师") == ("Pushi AI Yingyangshi", ROMANISED)
    assert plain.translate("北京朴食") == ("Beijing Pushi", TRANSLATED)  # the place is translated


def test_a_brand_is_a_whole_first_word_of_the_trade_name() -> None:
    names = translator()  # brands of the glossary and the groups seed: 京东 JD.com, 网易 NetEase, 京东方 BOE ...
    assert names.brands["京东"] == "JD.com" and names.brands["网易"] == "NetEase"
    assert names.translate("京东方智慧物联科技有限公司")[0] == "BOE Smart IoT Technology Co., Ltd."
    assert "JD" not in names.translate("京东方科技集团股份有限公司")[0]
    for name in ("北京中网易企秀科技有限公司", "中网易企秀（北京）科技有限公司"):
        assert "NetEase" not in names.translate(name)[0], name
    assert names.translate("杭州阿里巴巴广告有限公司")[0] == "Hangzhou Alibaba Advertising Co., Ltd."
    assert names.translate("网易（杭州）网络有限公司")[0] == "NetEase (Hangzhou) Network Co., Ltd."
    assert not names.translate("杭州阿里巴巴广告有限公司")[0].startswith("Hangzhou Ali ")  # 阿里: a place too


def test_official_seed_is_reviewed_and_fixed() -> None:
    with OFFICIAL_SEED.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["name_zh"] for row in rows] == sorted({row["name_zh"] for row in rows})  # unique, sorted
    assert all(row["name_en"] and row["source_ref"].startswith(("http://", "https://")) for row in rows)
    assert all(normalise(row["name_zh"]) == row["name_zh"] for row in rows)
    official = official_names()
    # the listed company's English name belongs to 三六零安全科技股份有限公司, not to the group's holding company
    assert official.get("三六零科技集团有限公司") != "360 Security Technology Inc."
    assert official["三六零安全科技股份有限公司"] == "360 Security Technology Inc."
    with GROUPS_SEED.open(encoding="utf-8", newline="") as handle:
        groups = list(csv.DictReader(handle))
    for group in {row["group_id"] for row in groups}:  # every group has an entity with its official name
        assert any(row["entity_name_zh"] in official for row in groups if row["group_id"] == group), group


def test_every_real_organisation_named_in_english(shared: Path) -> None:
    organisations = shared_organisations(shared)
    names = english_names(organisations, official_names(), translator())
    assert len(names) > 5000  # the 35 DS/AR lists and the genAI rows
    legal_pinyin = {zh: en for zh, (en, _) in names.items() if LEGAL_FORM_PINYIN.search(en)}
    assert not legal_pinyin
    assert not {zh: en for zh, (en, _) in names.items() if legal_form_pinyin(zh, en)}
    # trade names whose pinyin holds the letters stay as they are (又闲 Youxian, 悠享 youxiang)
    for zh in ("天津又闲网络科技有限公司", "家悠享家政服务有限公司"):
        if zh in names:
            assert "youxian" in names[zh][0].lower(), names[zh]
    sources = [source for _, source in names.values()]
    assert sources.count(ROMANISED) <= 0.05 * len(names)
    assert set(sources) <= {OFFICIAL, TRANSLATED, ROMANISED}
    official = official_names()
    assert all(names[zh] == (en, OFFICIAL) for zh, en in official.items() if zh in names)
    top = [name for name, _ in organisations.most_common(100)]
    assert sum(names[name][1] == OFFICIAL for name in top) >= 50


def test_thirty_well_known_organisations(shared: Path) -> None:
    organisations = shared_organisations(shared)
    assert len(WELL_KNOWN) == 30 and set(WELL_KNOWN) <= set(organisations)
    names = english_names(WELL_KNOWN, official_names(), translator())
    assert {zh: en for zh, (en, _) in names.items()} == WELL_KNOWN


# --- translations kept between builds (regtrail.names.memo) -----------------------------------------------

PLACES = [("110000", "北京市"), ("310000", "上海市"), ("440300", "深圳市")]
GROUPS = [("腾讯", "Tencent")]


def translated_by(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names memo hands to a translator from now on (it still translates them)."""
    asked: list[str] = []
    real = memo._translator

    def counting(codes: list, groups: list):  # noqa: ANN202
        translate = real(codes, groups)
        return lambda name: asked.append(name) or translate(name)

    monkeypatch.setattr(memo, "_translator", counting)
    return asked


def test_a_build_translates_only_names_no_earlier_build_translated(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    asked = translated_by(monkeypatch)
    names = list(WELL_KNOWN)
    first = memo.translations(names[:20], PLACES, GROUPS, tmp_path)
    assert sorted(asked) == sorted(names[:20]) and len(list(tmp_path.glob("*.json"))) == 1
    asked.clear()
    again = memo.translations(names, PLACES, GROUPS, tmp_path)
    assert sorted(asked) == sorted(names[20:])  # the first twenty read from the file
    direct = Translator(places_from_admin_codes(PLACES), {**BRANDS, **dict(GROUPS)},
                        provinces_from_admin_codes(PLACES))
    assert again == {name: direct.translate(name) for name in names} and first.items() <= again.items()
    assert memo.translations(names, PLACES, GROUPS, None) == again  # no folder: all translated, nothing filed


def test_concurrent_builds_add_up_their_translations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = list(WELL_KNOWN)
    real = memo._translator

    def meanwhile(codes: list, groups: list):  # noqa: ANN202
        # another build files its names while this one translates (between this build's read and its write)
        monkeypatch.setattr(memo, "_translator", real)
        memo.translations(names[10:], codes, groups, tmp_path)
        return real(codes, groups)

    monkeypatch.setattr(memo, "_translator", meanwhile)
    memo.translations(names[:10], PLACES, GROUPS, tmp_path)
    (path,) = tmp_path.glob("*.json")
    assert set(json.loads(path.read_text(encoding="utf-8"))["names"]) == set(names)


@pytest.mark.parametrize("change", ["a place", "a brand", "the translator's code"])
def test_translations_are_filed_under_everything_they_depend_on(change: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    names = ["深圳市腾讯计算机系统有限公司", "上海某某文化传媒有限公司"]
    memo.translations(names, PLACES, GROUPS, tmp_path)
    places, groups = PLACES, GROUPS
    if change == "a place":
        places = [*PLACES, ("330100", "杭州市")]
    elif change == "a brand":
        groups = [("腾讯", "Tencent Holdings")]
    else:
        package = tmp_path / "names"
        shutil.copytree(Path(memo.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
        (package / "glossary.py").write_text((package / "glossary.py").read_text(encoding="utf-8") + "\n# edited\n",
                                             encoding="utf-8")
        monkeypatch.setattr(memo, "__file__", str(package / "memo.py"))
    asked = translated_by(monkeypatch)
    english = memo.translations(names, places, groups, tmp_path)
    assert sorted(asked) == sorted(names), "a changed input must not reuse the filed translations"
    if change == "a brand":
        assert english[names[0]][0].startswith("Shenzhen Tencent Holdings")


FOREIGN = '{"key": "another", "names": {"上海某某文化传媒有限公司": ["X", "translated"]}}'
UNKNOWN_SOURCE = '{"key": "@", "names": {"上海某某文化传媒有限公司": ["X", "made up"]}}'


@pytest.mark.parametrize("content", ["", "{not json", "[]", FOREIGN, UNKNOWN_SOURCE])
def test_an_unreadable_or_foreign_file_is_translated_again(content: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    name = "上海某某文化传媒有限公司"
    path = tmp_path / f"{memo.key(PLACES, GROUPS)}.json"
    path.write_text(content.replace("@", path.stem), encoding="utf-8")
    asked = translated_by(monkeypatch)
    assert memo.translations([name], PLACES, GROUPS, tmp_path) == {name: ("Shanghai Moumou Culture Media Co., Ltd.",
                                                                          TRANSLATED)}
    assert asked == [name]
    assert json.loads(path.read_text(encoding="utf-8"))["names"] == {name: ["Shanghai Moumou Culture Media Co., Ltd.",
                                                                            TRANSLATED]}


# --- one dbt build: the sample log plus the real rows of the organisations searched in English -----------

SEARCHED = {  # English query -> an organisation it must find
    "Moonshot": "北京月之暗面科技有限公司",
    "DeepSeek": "杭州深度求索人工智能基础技术研究有限公司",
    "BOE": "京东方智慧物联科技有限公司",
    "Lenovo": "联想（北京）有限公司",
    "Ant Group": "蚂蚁云通（上海）信息技术有限公司",
    "01.AI": "北京零一万物科技有限公司",
    "vivo": "维沃移动通信有限公司",
    "ModelBest": "北京面壁智能科技有限责任公司",
}
COLUMNS = ("序号", "算法名称", None, "主体名称", "应用产品", "主要用途", "备案编号", "备注")


def write_real_rows(home: Path, cac_data: Path, entities: set[str]) -> int:
    """Append to the log of `home` the rows of `entities` from the real DS/AR lists, one list per batch
    (holding only those rows); returns how many rows."""
    batches: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for path in sorted((cac_data / "csv").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if normalise(row["主体名称"]) in entities:
                    kind = row.get("角色") or row.get("算法类别")
                    batches[(row["list_type"], row["batch_label"])].append(tuple(
                        (row[c] if c else kind) or "" for c in COLUMNS))
    log = _Log(home)
    run = "cli-20260901T000000Z"
    for (list_type, label), rows in sorted(batches.items()):
        source = DS if list_type == "deep_synthesis" else AR
        year, month = (int(part) for part in re.findall(r"\d+", label)[:2])
        url = f"https://www.cac.gov.cn/names/{list_type}-{year}-{month:02d}.docx"
        fetch = log.fetch_event(source, run, url, purpose="attachment", status=200, ok=True,
                                started_at=datetime(2026, 9, 1, tzinfo=UTC), content_type="application/octet-stream",
                                payload_digest=f"sha256:{list_type}{label}", payload_size=1000,
                                archive_path=f"archive/names/{list_type}-{year}-{month}.warc.gz")
        notice = f"https://www.cac.gov.cn/names/{list_type}-{year}-{month:02d}.htm"
        _list_records(log, source, run, _document(fetch, date(year, month, 1), "month", "cac_list_docx"),
                      rows, list_type, label, "附件", notice, f"清单（{label}）", url.rsplit("/", 1)[1], None)
    log.write()
    return sum(len(rows) for rows in batches.values())


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    work = tmp_path_factory.mktemp("names")
    home = write_sample_log(work / "home")
    assert write_real_rows(home, shared, set(SEARCHED.values())) >= len(SEARCHED)
    result = run_dbt_build(home, work)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return work / "build.duckdb"


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def cli_json(*argv: str) -> list[dict]:
    out = io.StringIO()
    assert main([*argv, "--format", "json"], out=out) == 0
    return json.loads(out.getvalue())


@pytest.mark.dbt
def test_every_entity_has_an_english_name_and_its_source(wh: Path) -> None:
    official = official_names()
    found = rows(wh, "select entity_name_zh, name_en, name_en_source from dim_entities order by 1")
    expected = english_names([zh for zh, _, _ in found], official, translator())
    assert found and {zh: (en, source) for zh, en, source in found} == expected
    filed = {name for path in (settings.cache_dir() / "names").glob("*.json")
             for name in json.loads(path.read_text(encoding="utf-8"))["names"]}
    assert {zh for zh, _, source in found if source != OFFICIAL} <= filed  # for the next build to read
    assert {source for _, _, source in found} == {OFFICIAL, TRANSLATED}  # reviewed and translated names
    assert not [en for _, en, _ in found if LEGAL_FORM_PINYIN.search(en)]


@pytest.mark.dbt
def test_marts_share_english_names_groups_and_province(wh: Path) -> None:
    assert rows(wh, "select count(*) from fct_filings as f join dim_entities as d on f.entity_name = d.entity_name_zh "
                    "where f.entity_group is distinct from d.group_name")[0][0] == 0
    assert rows(wh, "select count(*) from fct_filings where entity_group = 'Kuaishou'")[0][0] >= 1
    assert rows(wh, "select count(*) from fct_timeline_events as t join dim_entities as d "
                    "on t.entity_name = d.entity_name_zh where t.entity_name_en is distinct from d.name_en")[0][0] == 0
    columns = {name for (name,) in rows(wh, "select column_name from information_schema.columns "
                                            "where table_name = 'fct_genai_approvals'")}
    assert {"province", "province_raw", "entity_group", "entity_name_en"} <= columns and "region" not in columns


@pytest.mark.dbt
@pytest.mark.parametrize(("query", "organisation"), sorted(SEARCHED.items()))
def test_an_english_search_finds_the_organisation(wh: Path, query: str, organisation: str) -> None:
    events = cli_json("timeline", query, "--warehouse", str(wh))
    assert organisation in {e["entity_name"] for e in events}


@pytest.mark.dbt
def test_a_translated_name_is_searchable(wh: Path) -> None:
    zh, name_en = rows(wh, "select entity_name_zh, name_en from dim_entities where name_en_source = 'translated' "
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
