"""A small, realistic event log (docs/EVENTS.md) for warehouse tests.

`write_sample_log(home)` writes fetch and record segments under `home/events/` the way the crawler
does: Parquet files written to a temporary name and renamed into place. Values come from the real
CAC lists (2022年8月 algorithm-recommendation list, 2023年8月 deep-synthesis list), trimmed to a few
rows that cover the cases the warehouse must handle:

- a filing number listed in both lists (网信算备110108413760701220011号, purpose reworded);
- a filing number listed twice in one list (网信算备110108009321501230015号);
- a `变更内容：…` remark (网信算备110105199127801230013号);
- an `已注销` remark (网信算备330108562416102220019号);
- a filing number one digit longer than the standard format (a real variant in the 2022年8月 list);
- the algorithm-recommendation attachment parsed by parser versions '1' and '2' (v2 fixes the
  products of 网信算备110105199127804220017号);
- fetch failures (one retried successfully, one not), a parse failure, and one record event
  written twice (a crash/retry duplicate that the warehouse must ignore).
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from regtrail.log import records
from regtrail.log.digest import canonical_json, sha256, stable_id
from regtrail.log.events import FETCH_SCHEMA, RECORD_SCHEMA

# The same schemas the crawler writes, so the fixture cannot drift from the real log.

DS = "cac_deep_synthesis"
AR = "cac_algo_recommendation"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

DS_NOTICE_URL = "https://www.cac.gov.cn/2023-09/01/c_1695224377544009.htm"
DS_NOTICE_TITLE = "国家互联网信息办公室关于发布第二批深度合成服务算法备案信息的公告"
DS_FILE_NAME = "境内深度合成服务算法备案清单（2023年8月）.docx"
DS_ATTACHMENT_URL = (
    "https://www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=edit/2023-09/01/a8f3c2e1.docx"
    "&fText=%E5%A2%83%E5%86%85%E6%B7%B1%E5%BA%A6%E5%90%88%E6%88%90%E6%9C%8D%E5%8A%A1%E7%AE%97%E6%B3%95"
    "%E5%A4%87%E6%A1%88%E6%B8%85%E5%8D%95%EF%BC%882023%E5%B9%B48%E6%9C%88%EF%BC%89.docx"
)
DS_BROKEN_URL = (
    "https://www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=edit/2023-06/20/5be0d917.docx"
    "&fText=%E5%A2%83%E5%86%85%E6%B7%B1%E5%BA%A6%E5%90%88%E6%88%90%E6%9C%8D%E5%8A%A1%E7%AE%97%E6%B3%95"
    "%E5%A4%87%E6%A1%88%E6%B8%85%E5%8D%95%EF%BC%882023%E5%B9%B46%E6%9C%88%EF%BC%89.docx"
)
DS_LISTING_URL = "https://www.cac.gov.cn/wxzw/sfbx/A093702index_1.htm"

AR_NOTICE_URL = "https://www.cac.gov.cn/2022-08/12/c_1661927474338504.htm"
AR_NOTICE_TITLE = "国家互联网信息办公室关于发布互联网信息服务算法备案信息的公告"
AR_FILE_NAME = "境内互联网信息服务算法备案清单（2022年8月）.docx"
AR_ATTACHMENT_URL = (
    "https://www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=edit/2022-08/12/9c4d71b0.docx"
    "&fText=%E5%A2%83%E5%86%85%E4%BA%92%E8%81%94%E7%BD%91%E4%BF%A1%E6%81%AF%E6%9C%8D%E5%8A%A1%E7%AE%97"
    "%E6%B3%95%E5%A4%87%E6%A1%88%E6%B8%85%E5%8D%95%EF%BC%882022%E5%B9%B48%E6%9C%88%EF%BC%89.docx"
)

# Filing numbers the tests look at.
CROSS_LIST_NUMBER = "网信算备110108413760701220011号"
DUPLICATED_NUMBER = "网信算备110108009321501230015号"
CHANGED_NUMBER = "网信算备110105199127801230013号"
CANCELLED_NUMBER = "网信算备330108562416102220019号"
REPARSED_NUMBER = "网信算备110105199127804220017号"
VARIANT_NUMBER = "网信算备1101082242366066220017号"

DS_LIST_ID = "deep_synthesis:2023年8月"
AR_LIST_ID = "algo_recommendation:2022年8月"

# (seq, algorithm_name, role or category, entity_name, products, purpose, filing_number, remark)
DS_ROWS = [
    (
        "1",
        "一帧智能文本生成视频算法",
        "服务提供者",
        "新壹（北京）科技有限公司",
        "一帧秒创（网站）、一帧视频（APP）",
        "应用于视频生成场景，根据输入的文本、视频，结合素材库，生成视频。",
        "网信算备110102184116501230013号",
        "",
    ),
    (
        "2",
        "360智脑文本生成算法",
        "服务提供者",
        "北京奇虎科技有限公司",
        "360办公助手(其他)、360极速浏览器(APP)、360AI办公(APP)、360搜索(网站)、360智脑(网站)",
        "应用于文本生成场景，根据用户输入的文本，生成相应的文本回复。",
        CHANGED_NUMBER,
        "变更内容：新增产品360办公助手(其他)、360AI办公(APP)、360AI办公(网站)",
    ),
    (
        "3",
        "快手短视频生成合成算法",
        "服务提供者",
        "北京快手科技有限公司",
        "快手（APP）",
        "应用于短视频制作场景，利用生成模型对用户上传图片、视频进行属性编辑或风格转换，生成图片、视频。",
        CROSS_LIST_NUMBER,
        "",
    ),
    (
        "4",
        "中科闻歌雅意大模型算法",
        "服务技术支持者",
        "北京中科闻歌科技股份有限公司",
        "--",
        "应用于文本生成场景，服务于企业端客户，根据用户输入的文本或指令数据，生成文本内容。",
        DUPLICATED_NUMBER,
        "",
    ),
    (
        "5",
        "中科闻歌雅意大模型算法",
        "服务技术支持者",
        "北京中科闻歌科技股份有限公司",
        "--",
        "应用于文本生成场景，服务于企业端客户，根据用户输入的文本或指令数据，生成文本内容。",
        DUPLICATED_NUMBER,
        "",
    ),
]

AR_ROWS = [
    (
        "1",
        "网易传媒信息推送算法",
        "个性化推送类",
        "北京网易传媒有限公司",
        "网易新闻（APP）",
        "应用于通知栏信息推送，通过用户历史点击行为和用户匹配标签为用户推荐可能感兴趣的新闻资讯。",
        "网信算备110101135224302220011号",
        "",
    ),
    (
        "2",
        "360搜索信息检索算法",
        "检索过滤类",
        "北京奇虎科技有限公司",
        "360搜索（网站）",
        "应用于搜索引擎，通过用户输入的查询词信息，搜索满足需求的网页。",
        REPARSED_NUMBER,
        "",
    ),
    (
        "3",
        "快手短视频生成合成算法",
        "生成合成类",
        "北京快手科技有限公司",
        "快手（APP）",
        "应用于短视频制作场景，利用生成模型对用户上传图片、视频进行编辑和重新生成，实现属性编辑、风格转换等。",
        CROSS_LIST_NUMBER,
        "",
    ),
    (
        "4",
        "考拉push算法",
        "个性化推送类",
        "杭州优卖网络科技有限公司",
        "考拉海购（APP）",
        "应用于商业广告、短信息及其他信息推荐，根据用户行为数据、设备日志和其他用户授权信息，推荐用户可能感兴趣的内容。",
        CANCELLED_NUMBER,
        "已注销",
    ),
    (
        "5",
        "美团拍照识菜算法",
        "生成合成类",
        "北京三快科技有限公司",
        "美团（APP）",
        "应用于图像识别场景，根据用户上传的菜品图片识别菜品信息。",
        VARIANT_NUMBER,
        "2023年12月新增算法使用产品",
    ),
]

# When each document was fetched (the two clocks: published_at comes from the regulator).
AR_OBSERVED = datetime(2025, 6, 2, 1, 15, 0, tzinfo=UTC)
DS_OBSERVED = datetime(2025, 6, 2, 1, 20, 0, tzinfo=UTC)
REPLAY_OBSERVED = AR_OBSERVED  # replay re-parses the archived bytes; observed_at stays the fetch time


DS_TOTALS_FOOTER = {"table_row": 6, "text": "合计 | 共计5项", "reason": "no 备案编号"}
"""The totals footer of the 2023年8月 deep-synthesis list: a leftover row, not a filing."""


def _digest_of(label: str) -> str:
    return sha256(label.encode("utf-8"))


class _Log:
    """Collects events and writes them as segments."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.fetch: dict[tuple[str, str], list[dict]] = {}
        self.records: dict[tuple[str, str], list[dict]] = {}
        self._requests: dict[tuple[str, str, str], int] = {}

    def fetch_event(self, source: str, run_key: str, url: str, **fields) -> dict:
        n = self._requests.get((source, run_key, url), 0) + 1
        self._requests[(source, run_key, url)] = n
        row = {name: None for name in FETCH_SCHEMA.names}
        row.update(
            event_id=stable_id(source, url, run_key, n),
            source=source,
            run_key=run_key,
            url=url,
            fetched_url="http://127.0.0.1:8765/" + url.removeprefix("https://"),
            attempt=n,
            elapsed_ms=180.0,
        )
        row.update(fields)
        self.fetch.setdefault((source, run_key), []).append(row)
        return row

    def record_event(
        self,
        source: str,
        run_key: str,
        record: records.Record,
        record_key: str,
        document: dict,
        parser_version: str = "1",
    ) -> dict:
        record_type = record.record_type
        payload_json = canonical_json(record.payload())
        payload_digest = sha256(payload_json.encode("utf-8"))
        document_digest = document["payload_digest"]
        row = {
            "event_id": stable_id(
                source, record_type, record_key, payload_digest, document_digest, parser_version
            ),
            "source": source,
            "record_type": record_type,
            "record_key": record_key,
            "payload": payload_json,
            "payload_digest": payload_digest,
            "document_url": document["url"],
            "document_digest": document_digest,
            "published_at": document["published_at"],
            "published_precision": document["published_precision"],
            "observed_at": document["started_at"],
            "parser": document["parser"],
            "parser_version": parser_version,
            "fetch_event_id": document["event_id"],
            "run_key": run_key,
        }
        self.records.setdefault((source, run_key), []).append(row)
        return row

    def write(self) -> None:
        for (source, run_key), rows in self.fetch.items():
            _write_segment(self.home / "events" / "fetch" / f"source={source}", run_key, rows, FETCH_SCHEMA)
        for (source, run_key), rows in self.records.items():
            _write_segment(
                self.home / "events" / "records" / f"source={source}", run_key, rows, RECORD_SCHEMA
            )


def _write_segment(folder: Path, name: str, rows: list[dict], schema: pa.Schema) -> Path:
    """Write one Parquet segment atomically (temporary name, then rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{name}.parquet"
    tmp = folder / f".{name}.parquet.tmp"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
    os.replace(tmp, final)
    return final


def _document(fetch_row: dict, published_at: date, precision: str, parser: str) -> dict:
    return dict(fetch_row, published_at=published_at, published_precision=precision, parser=parser)


def _filing(row: tuple, index: int, list_type: str, batch_label: str) -> records.Filing:
    seq, name, kind, entity, products, purpose, number, remark = row
    kind_field = "role" if list_type == "deep_synthesis" else "algorithm_category"
    return records.Filing(
        seq=seq, seq_auto=False, row_index=index, algorithm_name=name, **{kind_field: kind}, entity_name=entity,
        products=products, purpose=purpose, filing_number=number, remark=remark, list_type=list_type,
        batch_label=batch_label, list_id=f"{list_type}:{batch_label}",
    )


def _list_records(
    log: _Log,
    source: str,
    run_key: str,
    document: dict,
    rows: list[tuple],
    list_type: str,
    batch_label: str,
    attachment_label: str,
    notice_url: str,
    notice_title: str,
    file_name: str,
    expected_count: int | None,
    parser_version: str = "1",
    leftover_rows: list[dict] | None = None,
) -> None:
    list_id = f"{list_type}:{batch_label}"
    title_prefix = (
        "境内深度合成服务算法备案清单" if list_type == "deep_synthesis" else "境内互联网信息服务算法备案清单"
    )
    kind = "角色" if list_type == "deep_synthesis" else "算法类别"
    publication = records.ListPublication(
        list_id=list_id, list_type=list_type, batch_label=batch_label, title=f"{title_prefix}（{batch_label}）",
        attachment_label=attachment_label, row_count=len(rows), expected_count=expected_count,
        notice_url=notice_url, notice_title=notice_title, attachment_url=document["url"], file_name=file_name,
        header=["序号", "算法名称", kind, "主体名称", "应用产品", "主要用途", "备案编号", "备注"],
        **({"leftover_rows": leftover_rows} if leftover_rows else {}),
    )
    log.record_event(source, run_key, publication, list_id, document, parser_version)
    for index, row in enumerate(rows, start=1):
        filing = _filing(row, index, list_type, batch_label)
        log.record_event(source, run_key, filing, filing.filing_number, document, parser_version)


def write_sample_log(
    home: Path, *, ds_expected_count: int | None = 5, ds_list_observed: datetime = DS_OBSERVED
) -> Path:
    """Write the sample event log under `home/events/` and return `home`.

    `ds_expected_count` is what the source config says the 2023年8月 deep-synthesis list holds
    (the list has 5 rows); pass another number to break reconciliation. `ds_list_observed` is when that
    list was fetched: a later time makes it a later observation of the list than an earlier sample log's.
    """
    home = Path(home)
    log = _Log(home)

    # --- deep synthesis, crawl run 1 -------------------------------------------------------------
    run = "cli-20250602T011800Z"
    log.fetch_event(
        DS,
        run,
        DS_LISTING_URL,
        purpose="listing",
        started_at=datetime(2025, 6, 2, 1, 18, tzinfo=UTC),
        elapsed_ms=30000.0,
        ok=False,
        error_kind="timeout",
        error="read timed out after 30 s",
    )
    ds_notice_fetch = log.fetch_event(
        DS,
        run,
        DS_NOTICE_URL,
        purpose="notice",
        started_at=datetime(2025, 6, 2, 1, 19, tzinfo=UTC),
        status=200,
        ok=True,
        content_type="text/html; charset=utf-8",
        last_modified="Fri, 01 Sep 2023 09:00:00 GMT",
        payload_digest=_digest_of("ds notice page"),
        payload_size=24113,
        archive_path="archive/cac_deep_synthesis/aa/ds-notice.warc.gz",
    )
    log.fetch_event(
        DS,
        run,
        DS_ATTACHMENT_URL,
        purpose="attachment",
        referer=DS_NOTICE_URL,
        started_at=datetime(2025, 6, 2, 1, 19, 30, tzinfo=UTC),
        status=200,
        ok=False,
        error_kind="empty_body",
        error="empty body (download refused)",
        content_type="text/html",
        payload_size=0,
    )
    ds_list_fetch = log.fetch_event(
        DS,
        run,
        DS_ATTACHMENT_URL,
        purpose="attachment",
        referer=DS_NOTICE_URL,
        started_at=ds_list_observed,
        status=200,
        ok=True,
        content_type="application/octet-stream",
        payload_digest=_digest_of("ds 2023-08 docx"),
        payload_size=61234,
        archive_path="archive/cac_deep_synthesis/bb/ds-2023-08.warc.gz",
    )
    ds_broken_fetch = log.fetch_event(
        DS,
        run,
        DS_BROKEN_URL,
        purpose="attachment",
        referer="https://www.cac.gov.cn/2023-06/20/c_1688910683316256.htm",
        started_at=datetime(2025, 6, 2, 1, 21, tzinfo=UTC),
        status=200,
        ok=True,
        content_type="application/octet-stream",
        payload_digest=_digest_of("ds 2023-06 challenge"),
        payload_size=5120,
        archive_path="archive/cac_deep_synthesis/cc/ds-2023-06.warc.gz",
    )

    notice_doc = _document(ds_notice_fetch, date(2023, 9, 1), "day", "cac_notice")
    log.record_event(
        DS,
        run,
        records.Notice(
            title=DS_NOTICE_TITLE,
            pubtime="2023年09月01日 17:00",
            attachments=[{"label": "附件", "file_name": DS_FILE_NAME, "url": DS_ATTACHMENT_URL}],
        ),
        DS_NOTICE_URL,
        notice_doc,
    )
    ds_doc = _document(ds_list_fetch, date(2023, 9, 1), "day", "cac_list_docx")
    _list_records(
        log,
        DS,
        run,
        ds_doc,
        DS_ROWS,
        "deep_synthesis",
        "2023年8月",
        "附件",
        DS_NOTICE_URL,
        DS_NOTICE_TITLE,
        DS_FILE_NAME,
        ds_expected_count,
        leftover_rows=[DS_TOTALS_FOOTER],
    )
    broken_doc = _document(ds_broken_fetch, date(2023, 6, 20), "day", "cac_list_docx")
    log.record_event(
        DS,
        run,
        records.ParseFailure(
            error="not a DOCX or PDF: HTML challenge page",
            detected_type="html",
            file_name="境内深度合成服务算法备案清单（2023年6月）.docx",
            parser="cac_list_docx",
        ),
        DS_BROKEN_URL,
        broken_doc,
    )

    # --- algorithm recommendation, crawl run 1 (parser v1) ---------------------------------------
    run = "cli-20250602T011400Z"
    ar_notice_fetch = log.fetch_event(
        AR,
        run,
        AR_NOTICE_URL,
        purpose="notice",
        started_at=datetime(2025, 6, 2, 1, 14, tzinfo=UTC),
        status=200,
        ok=True,
        content_type="text/html; charset=utf-8",
        payload_digest=_digest_of("ar notice page"),
        payload_size=31877,
        archive_path="archive/cac_algo_recommendation/dd/ar-notice.warc.gz",
    )
    ar_list_fetch = log.fetch_event(
        AR,
        run,
        AR_ATTACHMENT_URL,
        purpose="attachment",
        referer=AR_NOTICE_URL,
        started_at=AR_OBSERVED,
        status=200,
        ok=True,
        content_type="application/octet-stream",
        etag='"8519-5e6194c3a5e80"',
        payload_digest=_digest_of("ar 2022-08 docx"),
        payload_size=34095,
        archive_path="archive/cac_algo_recommendation/ee/ar-2022-08.warc.gz",
    )
    log.record_event(
        AR,
        run,
        records.Notice(
            title=AR_NOTICE_TITLE,
            pubtime="2022年08月12日 16:30",
            attachments=[{"label": "附件1", "file_name": AR_FILE_NAME, "url": AR_ATTACHMENT_URL}],
        ),
        AR_NOTICE_URL,
        _document(ar_notice_fetch, date(2022, 8, 12), "day", "cac_notice"),
    )
    ar_doc = _document(ar_list_fetch, date(2022, 8, 12), "day", "cac_list_docx")
    # Parser v1 dropped the second paragraph of a split cell: products lost "（网站）".
    v1_rows = [row if row[6] != REPARSED_NUMBER else row[:4] + ("360搜索",) + row[5:] for row in AR_ROWS]
    _list_records(
        log,
        AR,
        run,
        ar_doc,
        v1_rows,
        "algo_recommendation",
        "2022年8月",
        "附件1",
        AR_NOTICE_URL,
        AR_NOTICE_TITLE,
        AR_FILE_NAME,
        5,
        parser_version="1",
    )

    # --- algorithm recommendation, replay with parser v2 (no fetch) ------------------------------
    replay = "replay-20250610T080000Z"
    _list_records(
        log,
        AR,
        replay,
        ar_doc,
        AR_ROWS,
        "algo_recommendation",
        "2022年8月",
        "附件1",
        AR_NOTICE_URL,
        AR_NOTICE_TITLE,
        AR_FILE_NAME,
        5,
        parser_version="2",
    )

    log.write()

    # A crash between writing a segment and recording that it was written: the retry wrote the
    # same events again under a new segment name.
    first_ds_records = log.records[(DS, "cli-20250602T011800Z")][:3]
    _write_segment(
        home / "events" / "records" / f"source={DS}",
        "cli-20250602T011800Z-retry",
        first_ds_records,
        RECORD_SCHEMA,
    )
    return home


REPUBLISHED_OBSERVED = datetime(2025, 7, 1, 2, 0, 0, tzinfo=UTC)
REPUBLISHED_NUMBER = "网信算备110101135224302220011号"
REPUBLISHED_REMARK = "变更内容：新增产品网易新闻（网站）"


def write_republished_list(home: Path) -> Path:
    """Append a later crawl in which the 2022年8月 attachment is re-published in place (new digest)
    with one row changed (products and a change 备注 for 网信算备110101135224302220011号): a change
    no list dates, first seen on 2025-07-01."""
    log = _Log(Path(home))
    run = "cli-20250701T020000Z"
    fetch = log.fetch_event(
        AR,
        run,
        AR_ATTACHMENT_URL,
        purpose="attachment",
        referer=AR_NOTICE_URL,
        started_at=REPUBLISHED_OBSERVED,
        status=200,
        ok=True,
        content_type="application/octet-stream",
        payload_digest=_digest_of("ar 2022-08 docx, re-published"),
        payload_size=34211,
        archive_path="archive/cac_algo_recommendation/ff/ar-2022-08-b.warc.gz",
    )
    rows = [row if row[6] != REPUBLISHED_NUMBER else row[:4] + ("网易新闻（APP）、网易新闻（网站）",) + row[5:7]
            + (REPUBLISHED_REMARK,) for row in AR_ROWS]
    _list_records(log, AR, run, _document(fetch, date(2022, 8, 12), "day", "cac_list_docx"), rows,
                  "algo_recommendation", "2022年8月", "附件1", AR_NOTICE_URL, AR_NOTICE_TITLE, AR_FILE_NAME, 5,
                  parser_version="2")
    log.write()
    return Path(home)
