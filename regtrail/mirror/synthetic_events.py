"""A synthetic event log in the shapes the crawler writes, at any size (for benchmarks and scale tests).

Every list is a pure function of (seed, list index), so a log can be extended later with the lists
that follow (`append`), the way daily crawls extend the real log. What it holds, per crawl run:

- lists of both CAC list types (deep synthesis: 角色; algorithm recommendation: 算法类别), 800-2000
  rows each, one notice, one `list_publication` (row_count = rows, expected_count from the "config")
  and one `filing` record per row; fetch events for the notice and the attachment (sometimes a
  timed-out attempt before it);
- filing numbers in the real format; about 12% of a list's rows are filings of earlier lists, of
  those many changed (products, purpose, a `变更内容：…` or `2024年8月，新增…` remark) and some `已注销`;
  a few numbers printed twice in one list;
- entities drawn with a skewed distribution (a few large groups, among them 华为);
- every 97th list re-parsed later by parser version 2 (a replay: new records for an old document with
  the old observed_at); every 89th attachment re-fetched with one changed row (a new document digest);
  every 151st list also has an attachment that fails to parse (a `parse_failure`).

    python -m regtrail.mirror.synthetic_events HOME --events 1000000     # a new log
    python -m regtrail.mirror.synthetic_events HOME --append 10000       # the next lists (+ a replay), ~N events
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa

from regtrail.log import events, records
from regtrail.log.digest import sha256, stable_id

TYPES = ("deep_synthesis", "algo_recommendation")
SOURCES = {"deep_synthesis": "cac_deep_synthesis", "algo_recommendation": "cac_algo_recommendation"}
TITLES = {"deep_synthesis": "境内深度合成服务算法备案清单", "algo_recommendation": "境内互联网信息服务算法备案清单"}
NOTICE_TITLES = {
    "deep_synthesis": "国家互联网信息办公室关于发布深度合成服务算法备案信息的公告",
    "algo_recommendation": "国家互联网信息办公室关于发布互联网信息服务算法备案信息的公告",
}
ROLES = ("服务提供者", "服务技术支持者")
CATEGORIES = ("个性化推送类", "排序精选类", "检索过滤类", "调度决策类", "生成合成类")
CITIES = ("北京", "上海", "深圳", "杭州", "广州", "成都", "南京", "武汉", "天津", "西安", "苏州", "合肥")
SYLLABLES = "智云数联星辰创新科讯达汇通博睿思源景明华信天宇泰安诚合和瑞丰盛启航新锐远图"
PRODUCT_KINDS = ("APP", "网站", "小程序", "公众号", "其他")
PURPOSES = (
    "应用于文本生成场景，根据用户输入的文本，生成相应的文本回复。",
    "应用于图像生成场景，根据用户输入的文本或图片，生成图片。",
    "应用于视频生成场景，根据输入的文本、视频，结合素材库，生成视频。",
    "应用于信息推送场景，根据用户历史行为，为用户推荐可能感兴趣的内容。",
    "应用于搜索场景，根据用户输入的查询词，检索满足需求的信息。",
    "应用于语音合成场景，根据输入的文本，生成语音。",
)
BIG_ENTITIES = (
    "华为技术有限公司",
    "华为云计算技术有限公司",
    "华为软件技术有限公司",
    "北京百度网讯科技有限公司",
    "深圳市腾讯计算机系统有限公司",
    "北京字节跳动科技有限公司",
    "北京快手科技有限公司",
    "阿里巴巴（中国）有限公司",
)
ENTITIES = 20_000
FIRST_PUBLISHED = date(2022, 8, 12)
PARSER = "cac_list_docx"
STATE_FILE = "synthetic.json"


def entity_name(index: int) -> str:
    """Entity `index` of the pool (the first ones are real large groups)."""
    if index < len(BIG_ENTITIES):
        return BIG_ENTITIES[index]
    rng = random.Random(index * 7919)
    brand = "".join(rng.choice(SYLLABLES) for _ in range(2 + index % 2))
    return f"{CITIES[index % len(CITIES)]}{brand}科技有限公司"


def list_size(seed: int, index: int) -> int:
    return random.Random(f"size:{seed}:{index}").randint(800, 2000)


def recurring_count(seed: int, index: int) -> int:
    return 0 if index == 0 else list_size(seed, index) * 12 // 100


@dataclass
class Filing:
    number: str
    algorithm_name: str
    kind: str
    entity_name: str
    products: str
    purpose: str


def original_filing(seed: int, index: int, row: int) -> Filing:
    """The filing first listed as original row `row` of list `index`."""
    rng = random.Random(f"filing:{seed}:{index}:{row}")
    list_type = TYPES[index % 2]
    if rng.random() < 0.02:  # the large groups: about 0.25% of filings each
        entity = rng.randrange(len(BIG_ENTITIES))
    else:  # a long tail, skewed towards the first entities of the pool
        entity = len(BIG_ENTITIES) + int((ENTITIES - len(BIG_ENTITIES)) * rng.random() ** 3)
    name = entity_name(entity)
    brand = "".join(rng.choice(SYLLABLES) for _ in range(2))
    region = 110000 + (entity * 13) % 800000
    # the last 8 digits (type, year, sequence) are unique per (list, row): no accidental collisions
    number = f"网信算备{region:06d}{entity:07d}{(index // 100) % 100:02d}{index % 100:02d}{row:04d}号"
    kind = rng.choice(ROLES) if list_type == "deep_synthesis" else rng.choice(CATEGORIES)
    products = "、".join(
        f"{brand}{rng.choice('助手平台')}（{rng.choice(PRODUCT_KINDS)}）" for _ in range(rng.randint(1, 3)))
    algorithm = f"{brand}{'生成合成' if list_type == 'deep_synthesis' else '推荐'}算法"
    return Filing(number, algorithm, kind, name, products, rng.choice(PURPOSES))


@dataclass
class ListPlan:
    """One list attachment: its metadata and rows (seq, Filing, remark)."""

    index: int
    list_type: str
    batch_label: str
    published: date
    rows: list[tuple[Filing, str]]

    @property
    def list_id(self) -> str:
        return f"{self.list_type}:{self.batch_label}"


def plan_list(seed: int, index: int) -> ListPlan:
    """List `index`: original filings plus filings of earlier lists (changed, unchanged, cancelled)."""
    rng = random.Random(f"list:{seed}:{index}")
    published = FIRST_PUBLISHED + timedelta(days=3 * index)
    list_type = TYPES[index % 2]
    size, recurring = list_size(seed, index), recurring_count(seed, index)
    rows: list[tuple[Filing, str]] = []
    for _ in range(recurring):
        earlier = rng.randrange(index)
        originals = list_size(seed, earlier) - recurring_count(seed, earlier)
        filing = original_filing(seed, earlier, rng.randrange(originals))
        roll, remark = rng.random(), ""
        if roll < 0.35:
            filing.products += f"、{filing.algorithm_name[:2]}助手（网站）"
            remark = f"变更内容：新增产品{filing.algorithm_name[:2]}助手（网站）"
        elif roll < 0.45:
            remark = f"{published.year}年{published.month}月，新增关联产品"
            filing.products += "、新产品（APP）"
        elif roll < 0.55:
            filing.purpose = filing.purpose.replace("应用于", "主要应用于")
        elif roll < 0.62:
            remark = "已注销"
        if list_type == "deep_synthesis" and filing.kind not in ROLES:
            filing.kind = rng.choice(ROLES)
        elif list_type == "algo_recommendation" and filing.kind not in CATEGORIES:
            filing.kind = rng.choice(CATEGORIES)
        rows.append((filing, remark))
    rows += [(original_filing(seed, index, row), "") for row in range(size - recurring)]
    unique = {}
    for filing, remark in rows:  # a number listed from two earlier lists keeps one row
        unique.setdefault(filing.number, (filing, remark))
    rows = list(unique.values())
    if index % 7 == 3:  # a number printed twice in one list
        rows.insert(len(rows) // 2, rows[len(rows) // 2])
    rng.shuffle(rows)
    label = f"{published.year}年{published.month}月第{index}批"
    return ListPlan(index, list_type, label, published, rows)


@dataclass
class Writer:
    """Buffers events per source and writes them as one segment per source per crawl run."""

    root: events.Root
    fetch: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    record_count: int = 0

    def fetch_event(self, source: str, run_key: str, url: str, purpose: str, at: datetime, *, ok: bool = True,
                    digest: str | None = None, attempt: int = 1, referer: str | None = None) -> dict[str, Any]:
        event = events.FetchEvent(
            source=source, run_key=run_key, url=url, fetched_url=url, purpose=purpose, attempt=attempt,
            started_at=at, elapsed_ms=180.0, referer=referer, status=200 if ok else None, ok=ok,
            error_kind=None if ok else "timeout", error=None if ok else "read timed out",
            content_type="text/html; charset=utf-8" if purpose == "notice" else "application/octet-stream",
            payload_digest=digest, payload_size=40_000 if ok else None,
            archive_path=f"archive/{source}/{digest[7:9]}/{digest[7:]}.warc.gz" if digest else None,
        ).row()
        self.fetch.setdefault(source, []).append(event)
        return event

    def record(self, source: str, run_key: str, record: records.Record, key: str, document: dict[str, Any],
               published: date, parser: str, version: str, observed: datetime) -> None:
        row = events.RecordEvent(
            source=source, record_type=record.record_type, record_key=key, payload=record.payload(),
            document_url=document["url"],
            document_digest=document["payload_digest"], observed_at=observed, parser=parser,
            parser_version=version, published_at=published, published_precision="day",
            fetch_event_id=document["event_id"], run_key=run_key,
        ).row()
        self.records.setdefault(source, []).append(row)
        self.record_count += 1

    def flush(self) -> None:
        for kind, buffers in (("fetch", self.fetch), ("records", self.records)):
            for source, rows in buffers.items():
                if rows:
                    table = pa.Table.from_pylist(rows, schema=events.KINDS[kind])
                    events.append_segment(self.root, kind, source, table)
            buffers.clear()


def attachment_url(plan: ListPlan, variant: str = "") -> str:
    return (f"https://www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=edit/"
            f"{plan.published:%Y-%m/%d}/{plan.index:06d}{variant}.docx")


def emit_list(writer: Writer, plan: ListPlan, run_key: str, observed: datetime, *, version: str = "1",
              refetch: bool = False, document: dict[str, Any] | None = None) -> dict[str, Any]:
    """The fetches and records of one list; `document` given: a replay of that fetched document."""
    source = SOURCES[plan.list_type]
    notice_url = f"https://www.cac.gov.cn/{plan.published:%Y-%m/%d}/c_{1_660_000_000_000 + plan.index}.htm"
    url = attachment_url(plan)
    file_name = f"{TITLES[plan.list_type]}（{plan.batch_label}）.docx"
    rows = list(plan.rows)
    if refetch or version != "1":  # changed in place, or a parser fix: one row reads differently
        filing, remark = rows[0]
        rows[0] = (Filing(**{**filing.__dict__, "products": filing.products + "（更正）"}), remark)
    if document is None:
        notice_digest = sha256(f"notice:{plan.index}".encode())
        notice = writer.fetch_event(source, run_key, notice_url, "notice", observed - timedelta(seconds=5),
                                    digest=notice_digest)
        writer.record(source, run_key, records.Notice(
            title=NOTICE_TITLES[plan.list_type], pubtime=f"{plan.published:%Y-%m-%d} 16:30:00",
            attachments=[{"label": "附件", "file_name": file_name, "url": url}],
        ), notice_url, notice, plan.published, "cac_notice", "1", notice["started_at"])
        if plan.index % 11 == 5:  # a timed-out attempt, retried
            writer.fetch_event(source, run_key, url, "attachment", observed - timedelta(seconds=2), ok=False,
                               referer=notice_url)
        digest = sha256(f"docx:{plan.index}:{'refetched' if refetch else 'first'}".encode())
        document = writer.fetch_event(source, run_key, url, "attachment", observed, digest=digest,
                                      attempt=2 if plan.index % 11 == 5 else 1, referer=notice_url)
    observed = document["started_at"]
    deep = plan.list_type == "deep_synthesis"
    kind_key, kind_header = ("role", "角色") if deep else ("algorithm_category", "算法类别")
    writer.record(source, run_key, records.ListPublication(
        list_id=plan.list_id, list_type=plan.list_type, batch_label=plan.batch_label,
        title=f"{TITLES[plan.list_type]}（{plan.batch_label}）", attachment_label="附件",
        row_count=len(rows), expected_count=len(rows), notice_url=notice_url,
        notice_title=NOTICE_TITLES[plan.list_type], attachment_url=url, file_name=file_name,
        header=["序号", "算法名称", kind_header, "主体名称", "应用产品", "主要用途", "备案编号", "备注"],
    ), plan.list_id, document, plan.published, PARSER, version, observed)
    for position, (filing, remark) in enumerate(rows, start=1):
        writer.record(source, run_key, records.Filing(
            seq=str(position), seq_auto=False, row_index=position, algorithm_name=filing.algorithm_name,
            **{kind_key: filing.kind}, entity_name=filing.entity_name, products=filing.products,
            purpose=filing.purpose, filing_number=filing.number, remark=remark,
            list_type=plan.list_type, batch_label=plan.batch_label, list_id=plan.list_id,
        ), filing.number, document, plan.published, PARSER, version, observed)
    if plan.index % 151 == 7:  # a second attachment that is not a list
        bad = writer.fetch_event(source, run_key, attachment_url(plan, "-scan"), "attachment", observed,
                                 digest=sha256(f"scan:{plan.index}".encode()), referer=notice_url)
        writer.record(source, run_key, records.ParseFailure(
            error="attachment is a scanned image, no table", detected_type="pdf",
            file_name="扫描件.pdf", notice_url=notice_url, attachment_label="附件2", parser=PARSER,
        ), bad["url"], bad, plan.published, PARSER, version, observed)
    return document


def crawl_time(plan: ListPlan) -> datetime:
    return datetime.combine(plan.published + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=1)


def runs(seed: int, first: int) -> Iterator[tuple[str, list[ListPlan]]]:
    """Crawl runs from list `first` on: one run every 15 days of publications."""
    index = first
    while True:
        plans = []
        start = FIRST_PUBLISHED + timedelta(days=3 * index)
        while not plans or FIRST_PUBLISHED + timedelta(days=3 * index) < start + timedelta(days=15):
            plans.append(plan_list(seed, index))
            index += 1
        yield f"synthetic:{crawl_time(plans[-1]):%Y%m%dT%H%M%S}", plans


@dataclass
class State:
    """Where a synthetic log stops: lists written so far, seed, events written."""

    seed: int = 0
    lists: int = 0
    record_events: int = 0
    replays: list[int] = field(default_factory=list)

    @classmethod
    def load(cls, root: events.Root) -> State:
        fs, base = events.filesystem(root)
        path = f"{base}/{STATE_FILE}"
        return cls(**json.loads(fs.cat_file(path).decode("utf-8"))) if fs.exists(path) else cls()

    def save(self, root: events.Root) -> None:
        fs, base = events.filesystem(root)
        fs.makedirs(base, exist_ok=True)
        fs.pipe_file(f"{base}/{STATE_FILE}", (json.dumps(self.__dict__) + "\n").encode("utf-8"))


def extend(root: events.Root, state: State, record_events: int, *, replay: bool = False) -> State:
    """Append whole crawl runs until about `record_events` record events were written; returns the new state."""
    writer = Writer(root)
    if replay and state.lists > 2:  # a replay with parser v2 of an old list: new records, old observed_at
        old = plan_list(state.seed, state.lists // 3)
        document = emit_list(Writer(root), old, "replay:unused", crawl_time(old))  # rebuild the fetch row
        emit_list(writer, old, f"replay:{state.lists}", crawl_time(old), version="2", document=document)
        writer.flush()
        state.replays.append(old.index)
    for run_key, plans in runs(state.seed, state.lists):
        for plan in plans:
            document = emit_list(writer, plan, run_key, crawl_time(plan))
            if plan.index % 97 == 40:
                emit_list(writer, plan, run_key + ":replay", crawl_time(plan), version="2", document=document)
            if plan.index % 89 == 30:
                emit_list(writer, plan, run_key + ":refetch", crawl_time(plan) + timedelta(days=20), refetch=True)
        state.lists = plans[-1].index + 1
        writer.flush()
        if writer.record_count >= record_events:
            break
    state.record_events += writer.record_count
    return state


def write_log(root: events.Root, record_events: int, seed: int = 0) -> State:
    """A new synthetic log of about `record_events` record events under `root` (state in root/synthetic.json)."""
    state = extend(root, State(seed=seed), record_events)
    state.save(root)
    return state


def append(root: events.Root, record_events: int) -> State:
    """The next crawl runs of a synthetic log (about `record_events` record events), plus a replay of an old list."""
    state = extend(root, State.load(root), record_events, replay=True)
    state.save(root)
    return state


def event_id_check(row: dict[str, Any]) -> bool:
    """True when a record row's event_id follows the log's rule (used by tests)."""
    return row["event_id"] == stable_id("record", row["source"], row["record_type"], row["record_key"],
                                        row["payload_digest"], row["document_digest"], row["parser_version"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("home", help="the log root (REGTRAIL_LOG): a folder or a URL such as s3://bucket/prefix")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--events", type=int, help="write a new log of about this many record events")
    group.add_argument("--append", type=int, help="append about this many record events to an existing log")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    state = write_log(args.home, args.events, args.seed) if args.events else append(args.home, args.append)
    print(json.dumps(state.__dict__))


if __name__ == "__main__":
    main()
