"""The record contract: one typed definition per record type a source emits.

A record's payload is the JSON object stored in the `payload` column of a record event (keys sorted,
see `regtrail.log.digest.canonical_json`). Sources build records from these classes and emit them
(`Context.emit`); the `parse` command prints them; the synthetic log and the test fixtures build them;
the staging models read their fields; docs/EVENTS.md is generated from them (`python -m
regtrail.log.records_doc`). Constructing a record checks field names and value types, so a payload
that drifts from the contract fails where it is built, and passes every string through the text boundary
(regtrail/log/text.py: controls out, NFC, identifiers in their identity form, caps), so no parser can emit
text that breaks a writer downstream.

Fields marked optional are left out of the payload when not given (e.g. `role` on an algorithm-
recommendation filing, which has `algorithm_category` instead): payloads keep the exact shape they
had, so event ids of existing logs do not change. Only the standard library is imported here: the
`parse` command must start fast.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

from regtrail.log import text


class _Absent:
    """The value of an optional field that was not given (left out of the payload)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
_TYPES = {"str": str, "int": int, "bool": bool, "float": float, "list": list, "dict": dict, "None": type(None)}


def doc(description: str, *, optional: bool = False, default: Any = MISSING, factory: Any = MISSING,
        identifier: bool = False) -> Any:
    """A field with its description (rendered into docs/EVENTS.md); `optional`: left out when not given;
    `identifier`: normalised to its identity form by the text boundary (regtrail/log/text.py)."""
    metadata = {"doc": description, "optional": optional, "identifier": identifier}
    if optional:
        return field(default=ABSENT, metadata=metadata)
    if factory is not MISSING:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


class ContractError(TypeError):
    """A payload that does not follow the record contract."""


@dataclass(kw_only=True)
class Record:
    """Base of every record type; `record_type` is the value of the record event's `record_type`."""

    synthetic: bool = doc("True when the document is marked synthetic (files the mirror invents; set by "
                          "Context.emit from the document's mark).", optional=True)
    truncated_fields: list[str] = doc("Fields cut to their cap by the text boundary (the archived document keeps "
                                      "the whole text).", optional=True)
    record_type: ClassVar[str]
    summary: ClassVar[str]
    key: ClassVar[str]
    _checks: ClassVar[dict[str, tuple[type, ...]]]
    _plan: ClassVar[tuple[tuple[str, int, bool], ...]]

    def __post_init__(self) -> None:
        for name, allowed in _checks(type(self)).items():
            value = getattr(self, name)
            if value is ABSENT:
                continue
            if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
                raise ContractError(f"{self.record_type}.{name}: {type(value).__name__} {value!r:.60}, "
                                    f"expected {' | '.join(t.__name__ for t in allowed)}")
        self._text_boundary()

    def _text_boundary(self) -> None:
        """Every string through the text boundary (regtrail/log/text.py): cleaned, identifiers in their identity
        form (the printed form kept in `<field>_raw`), cut to the field's cap (named in `truncated_fields`). Idempotent:
        a payload read back, or a record copied with `dataclasses.replace`, comes out the same."""
        truncated: set[str] = set()
        for name, limit, is_identifier in _boundary_plan(type(self)):
            value = getattr(self, name)
            if type(value) is str:
                cleaned, cut = text.cap(text.clean(value), limit)
            elif isinstance(value, (list, dict)):
                flag = [False]
                cleaned, cut = text.clean_value(value, limit, flag), flag[0]
            else:
                continue
            if is_identifier and type(cleaned) is str:
                identity, identity_cut = text.cap(text.identifier(cleaned), text.IDENTIFIER_CAP)
                if identity != cleaned and getattr(self, f"{name}_raw") in (ABSENT, None):
                    setattr(self, f"{name}_raw", cleaned)  # the printed form, unless the parser kept it already
                cleaned, cut = identity, cut or identity_cut
            if cut:
                truncated.add(name)
            if cleaned is not value:
                setattr(self, name, cleaned)
        if truncated:
            self.truncated_fields = sorted(truncated | set(self.truncated_fields if self.truncated_fields
                                                           is not ABSENT else ()))

    def payload(self) -> dict[str, Any]:
        """The payload as it is stored (optional fields that were not given left out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not ABSENT}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Record:
        """The record a stored payload holds; ContractError when it does not follow the contract."""
        try:
            return cls(**payload)
        except TypeError as exc:
            raise ContractError(f"{cls.record_type}: {exc}") from exc


def _boundary_plan(cls: type[Record]) -> tuple[tuple[str, int, bool], ...]:
    """(field, cap, is identifier) for every field of a record type, read once."""
    if "_plan" not in cls.__dict__:
        plan = tuple((f.name, text.cap_for(f.name), bool(f.metadata.get("identifier"))) for f in fields(cls))
        names = {name for name, _, _ in plan}
        missing = [f"{name}_raw" for name, _, identifier in plan if identifier and f"{name}_raw" not in names]
        if missing:
            raise ContractError(f"{cls.record_type}: an identifier needs its optional raw field: {', '.join(missing)}")
        cls._plan = plan
    return cls._plan


def _checks(cls: type[Record]) -> dict[str, tuple[type, ...]]:
    """Allowed Python types per field, read once from the annotations (`str | None`, `list[str]`, ...)."""
    if "_checks" not in cls.__dict__:
        checks = {}
        for f in fields(cls):
            names = [part.strip().split("[", 1)[0] for part in str(f.type).split("|")]
            checks[f.name] = tuple(_TYPES[name] for name in names if name in _TYPES) or (object,)
        cls._checks = checks
    return cls._checks


@dataclass(kw_only=True)
class Notice(Record):
    record_type: ClassVar[str] = "notice"
    summary: ClassVar[str] = "A notice page announcing lists (CAC)."
    key: ClassVar[str] = "notice URL"

    title: str = doc("Page title.")
    pubtime: str | None = doc("Publication time of the page (the crawler writes `YYYY-MM-DD HH:MM:SS`), else null.")
    attachments: list[dict[str, Any]] = doc(
        "Attachments linked from the page: `{label, file_name, url}`; the algorithm-list sources add "
        "`batch_label` and `expected_count` (from the source config).")


@dataclass(kw_only=True)
class ListPublication(Record):
    record_type: ClassVar[str] = "list_publication"
    summary: ClassVar[str] = "One algorithm-filing list attachment (deep synthesis or algorithm recommendation)."
    key: ClassVar[str] = "list_id"

    list_id: str = doc("`<list_type>:<batch_label>`.")
    list_type: str = doc("`deep_synthesis` or `algo_recommendation`.")
    batch_label: str | None = doc("Batch label, e.g. `2023年8月`, from the title or the file name.")
    title: str | None = doc("List title as the document gives it.")
    attachment_label: str | None = doc("`附件`/`附件N`.")
    row_count: int = doc("Rows parsed.")
    expected_count: int | None = doc("Rows the source config says the list holds; null if unknown.")
    notice_url: str = doc("The notice page that published the list (the document URL for a one-off ingest).")
    notice_title: str = doc("Its title (empty for a one-off ingest).")
    attachment_url: str = doc("Canonical URL of the attachment.")
    file_name: str | None = doc("Attachment file name.")
    header: list[str] = doc("Header cells of the table as printed.", factory=list)
    unknown_columns: list[str] = doc("Header cells that map to no field (their values go to `extra`).",
                                     factory=list)
    leftover_rows: list[dict[str, Any]] = doc(
        "Table rows with text but no valid 备案编号 (a totals footer, a note), not emitted as filings: "
        "`{table_row, text, reason}` (`text` cut at 2,000 characters, then `text_length` gives its length); "
        "left out when there are none.", optional=True)


@dataclass(kw_only=True)
class Filing(Record):
    record_type: ClassVar[str] = "filing"
    summary: ClassVar[str] = "One row of an algorithm-filing list."
    key: ClassVar[str] = "备案编号, else `<list_id>#row<row_index>`"

    row_index: int = doc("1-based data row.")
    seq: str = doc("序号 (the row position when Word numbers it automatically).")
    seq_auto: bool = doc("True when 序号 is Word auto-numbering.")
    algorithm_name: str = doc("算法名称.")
    role: str = doc("角色 (deep-synthesis lists).", optional=True)
    algorithm_category: str = doc("算法类别 (algorithm-recommendation lists).", optional=True)
    entity_name: str = doc("主体名称.")
    products: str = doc("应用产品.")
    purpose: str = doc("主要用途.")
    filing_number: str = doc("备案编号 (NFKC, whitespace and format characters removed).", identifier=True)
    filing_number_raw: str = doc("备案编号 as printed, when it differs from `filing_number`.", optional=True)
    remark: str = doc("备注 (changes, `已注销`).")
    extra: dict[str, str] = doc("Values of columns outside the known header, by header text.", factory=dict)
    list_type: str = doc("`deep_synthesis` or `algo_recommendation`.")
    batch_label: str | None = doc("Batch label of the list.")
    list_id: str = doc("The list (`list_publication.list_id`).")


@dataclass(kw_only=True)
class GenaiList(Record):
    record_type: ClassVar[str] = "genai_list"
    summary: ClassVar[str] = "One generative-AI service list attachment (DOCX or PDF)."
    key: ClassVar[str] = "list_id"

    title: str | None = doc("Title as the document gives it.")
    attachment_label: str | None = doc("`附件N`.")
    period: str | None = doc("Period, e.g. `2024年11月`, or a year for yearly summaries.")
    file_type: str = doc("`docx` or `pdf`.")
    filing_count: int = doc("Rows of the 备案 table.")
    registration_count: int = doc("Rows of the 登记 table.")
    ondevice_count: int = doc("Rows of the on-device (手机端侧) table.")
    headers: list[list[str]] = doc("Header cells of each table.")
    unknown_columns: list[str] = doc("Header cells that map to no field.")
    list_id: str = doc("`genai_service:<period>`.")
    list_type: str = doc("`genai_service`.")
    expected_filings: int | None = doc("备案 rows the source config expects; null if unknown.")
    expected_registrations: int | None = doc("登记 rows the source config expects; null if unknown.")
    expected_ondevice: int | None = doc("On-device rows the source config expects; null if unknown.")
    is_summary: bool = doc("True for yearly summary lists (they repeat earlier rows).")
    official_total: dict[str, Any] | None = doc(
        "The regulator's official cumulative totals stated for the period (source config), or null.", optional=True)
    accepted_differences: list[dict[str, Any]] = doc(
        "Accepted differences (source config) that apply from this period on.", optional=True)
    notice_url: str = doc("The notice page.")
    notice_title: str = doc("Its title.")
    attachment_url: str = doc("Canonical URL of the attachment.")
    file_name: str | None = doc("Attachment file name.")


@dataclass(kw_only=True)
class GenaiFiling(Record):
    record_type: ClassVar[str] = "genai_filing"
    summary: ClassVar[str] = "One row of the 备案 table of a generative-AI list (a model filed with the CAC)."
    key: ClassVar[str] = "备案号, else `<list_id>#<table_index>.<row_index>`"

    kind: str = doc("`filing`, `registration` or `ondevice`.")
    table_index: int = doc("Table of the document (0-based).")
    row_index: int = doc("Data row of the table (1-based).")
    seq: str | None = doc("序号.")
    region: str | None = doc("属地.")
    model_name: str | None = doc("模型名称 / 应用名称.")
    entity_name: str | None = doc("备案单位 / 登记单位.")
    number: str | None = doc("备案号 or 上线编号 (NFKC, whitespace and format characters removed).", identifier=True)
    number_raw: str = doc("备案号 or 上线编号 as printed, when it differs from `number`.", optional=True)
    filed_text: str | None = doc("备案时间 / 登记时间 as printed.")
    filed_date: str | None = doc("The same as an ISO date, when it reads as one.")
    scenario: str | None = doc("Use scenario (on-device table).", default=None)
    quirks: list[str] = doc("What was unusual about the row as printed (kept, not corrected).", factory=list)
    list_id: str = doc("The list (`genai_list.list_id`).")
    list_type: str = doc("`genai_service`.")
    period: str | None = doc("Period of the list.")
    is_summary: bool = doc("True when the list is a yearly summary.")
    notice_url: str = doc("The notice page.")


@dataclass(kw_only=True)
class GenaiRegistration(GenaiFiling):
    record_type: ClassVar[str] = "genai_registration"
    summary: ClassVar[str] = ("One row of the 登记 table of a generative-AI list (an application registered "
                              "locally); the same fields as `genai_filing`.")
    key: ClassVar[str] = "上线编号, else `<list_id>#<table_index>.<row_index>`"


@dataclass(kw_only=True)
class GenaiOndevice(GenaiFiling):
    record_type: ClassVar[str] = "genai_ondevice"
    summary: ClassVar[str] = ("One row of the on-device (手机端侧) table of a generative-AI list (a service filed "
                              "with the CAC); the same fields as `genai_filing`.")


@dataclass(kw_only=True)
class CancellationNotice(Record):
    record_type: ClassVar[str] = "cancellation_notice"
    summary: ClassVar[str] = "A 算法备案编号注销公告 (its PDF) on the algorithm filing system."
    key: ClassVar[str] = "notice_id"

    document_title: str | None = doc("Title read from the PDF.")
    stated_count: int | None = doc("The count the text states.")
    row_count: int = doc("Cancelled filings read.")
    from_text: bool = doc("True when the numbers were read from running text rather than a table.")
    notice_id: str = doc("The notice's id in the system.")
    title: str = doc("Title in the notice list.")
    expected_count: int | None = doc("Rows the source config expects; null if unknown.")


@dataclass(kw_only=True)
class FilingCancellation(Record):
    record_type: ClassVar[str] = "filing_cancellation"
    summary: ClassVar[str] = "One cancelled filing named in a cancellation notice."
    key: ClassVar[str] = "备案编号, else `<notice_id>#row<row_index>`"

    row_index: int = doc("1-based row.")
    seq: str | None = doc("序号.")
    algorithm_name: str | None = doc("算法名称.")
    role: str | None = doc("角色.")
    entity_name: str | None = doc("主体名称.")
    products: str | None = doc("应用产品.")
    filing_number: str | None = doc("备案编号 (NFKC, whitespace and format characters removed).", identifier=True)
    filing_number_raw: str = doc("备案编号 as printed, when it differs from `filing_number`.", optional=True)
    cancelled_text: str | None = doc("注销时间 as printed.")
    notice_id: str = doc("The notice.")
    notice_title: str = doc("Its title.")


@dataclass(kw_only=True)
class NewsArticle(Record):
    record_type: ClassVar[str] = "news_article"
    summary: ClassVar[str] = "A news article (from an outlet's feed, or ingested by URL)."
    key: ClassVar[str] = "`canonical_url`, else the URL fetched"

    canonical_url: str | None = doc(
        "The page's canonical URL (`link rel=canonical`, else `og:url`), kept only when it is http(s) on the "
        "fetched site (same registrable domain); else null, with a note.")
    headline: str = doc("Headline.")
    published_time: str | None = doc("ISO 8601 with the page's own offset.")
    published_utc: str | None = doc("The same in UTC.")
    published_date: str | None = doc("The outlet's local calendar date.")
    date_source: str | None = doc("Where the date was read: `meta`, `json-ld`, `time` or `visible`.")
    dateline: str | None = doc("Dateline.")
    byline: str | None = doc("Byline.")
    outlet: str | None = doc("The outlet the news source config (scrapers/news/source.yml) names for `host`; null "
                             "when no configured outlet serves it. Never a name the page gives itself.")
    language: str | None = doc("Language of the page.")
    body: str = doc("Article text.")
    url: str = doc("URL fetched (canonical `https://HOST/...`): the article's provenance.")
    host: str = doc("Host of the fetched URL.")
    feed_url: str | None = doc("The feed that listed it; null when ingested by URL.")
    feed_published_utc: str | None = doc("Publication time the feed gives (UTC).")
    site_name: str = doc("The name the page gives itself (`og:site_name`, JSON-LD publisher): a claim, kept for "
                         "review and shown nowhere.", optional=True)
    notes: list[str] = doc("What the page claimed that was not kept (a canonical URL not http(s) or on another "
                           "site), each with its reason.", optional=True)


@dataclass(kw_only=True)
class ParseFailure(Record):
    record_type: ClassVar[str] = "parse_failure"
    summary: ClassVar[str] = "A fetched document that could not be parsed (it stays in the archive for replay)."
    key: ClassVar[str] = "document URL"

    error: str = doc("What went wrong.")
    detected_type: str = doc("Type sniffed from the bytes (`docx`, `pdf`, `html`, ...).")
    parser: str = doc("Parser that refused it.")
    file_name: str | None = doc("Attachment file name (attachments).", optional=True)
    notice_url: str | None = doc("Notice page that linked it (attachments).", optional=True)
    attachment_label: str | None = doc("`附件N` (attachments).", optional=True)
    notice_id: str | None = doc("Cancellation notice id (cancellation PDFs).", optional=True)


RECORD_TYPES: dict[str, type[Record]] = {cls.record_type: cls for cls in (
    Notice, ListPublication, Filing, GenaiList, GenaiFiling, GenaiRegistration, GenaiOndevice, CancellationNotice,
    FilingCancellation, NewsArticle, ParseFailure)}


def record(record_type: str, payload: dict[str, Any]) -> Record:
    """The record of type `record_type` holding `payload`; ContractError when it breaks the contract."""
    if record_type not in RECORD_TYPES:
        raise ContractError(f"unknown record type {record_type!r}; known: {', '.join(RECORD_TYPES)}")
    return RECORD_TYPES[record_type].from_payload(payload)


def field_names(record_type: str) -> list[str]:
    """Every payload field of a record type, in contract order."""
    return [f.name for f in fields(RECORD_TYPES[record_type])]
