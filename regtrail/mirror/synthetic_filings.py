"""Realistic but obviously invented rows of CAC filing lists (entities named ``示例…有限公司``).

For mirror sites and tests.

Filing numbers follow the real format; the real attachments are never copied. No python-docx here:
`regtrail.mirror.synthetic_docx` lays the rows out as DOCX.
"""

from __future__ import annotations

import random
import re

HEADERS: dict[str, list[str]] = {
    list_type: ["序号", "算法名称", third, "主体名称", "应用产品", "主要用途", "备案编号", "备注"]
    for list_type, third in (("deep_synthesis", "角色"), ("algo_recommendation", "算法类别"))
}
"""Column headers of each list type, as in the real attachments."""

_REGIONS = ("110108", "110105", "110101", "310115", "310104", "310112", "440305", "440304", "330106",
            "330108", "320102", "510107", "420111", "370102")  # fmt: skip
_BRANDS = tuple(
    "星辰 云帆 墨言 灵犀 青禾 远望 知微 启明 深蓝 千帆 雅音 听澜 "
    "北辰 智元 若水 晨曦 光年 绘影 拾光 万象 清泉 松果 鲸歌 木棉".split()
)
_ENTITY_SUFFIXES = tuple(
    "科技有限公司 信息技术有限公司 网络科技有限公司 智能科技有限公司 文化传媒有限公司".split()
)
_CHANNELS = ("(APP)", "（APP）", "(网站)", "(小程序)", "(API)")
_PRODUCT_SUFFIXES = ("", "助手", "AI", "智能写作", "视频", "创作")

_DEEP_KINDS = (  # (algorithm kind, scene, input, output)
    ("文本生成", "对话生成", "用户输入的文本内容", "相应的文本回复"),
    ("大模型", "对话生成", "用户输入的问题", "与问题相关的文本回答"),
    ("图像生成", "图像生成", "用户输入的文本、图像数据", "符合用户需求的图像"),
    ("语音合成", "语音合成", "用户输入的文本数据", "模拟人声"),
    ("视频生成", "视频生成", "用户输入的文本或图片", "对应的视频内容"),
    ("数字人生成", "数字人生成", "用户上传的图片和音频", "数字人视频"),
    ("智能写作", "文本生成", "用户输入的写作主题", "文章、文案等文本"),
)
_CATEGORIES = {  # 算法类别 -> (type code, algorithm name endings, purpose template, topics)
    "个性化推送类": ("02", ("个性化推荐算法", "信息推送算法"),
               "应用于{x}推荐场景，根据用户的浏览、点击等行为，为用户推荐可能感兴趣的{x}。",
               ("资讯", "商品", "短视频", "音乐", "图书", "职位")),
    "排序精选类": ("03", ("热榜排序算法", "内容精选算法"),
              "应用于{x}榜单展示场景，根据内容的热度、时效性等指标，对{x}进行排序展示。",
              ("资讯", "商品", "短视频", "音乐")),
    "检索过滤类": ("04", ("搜索算法", "检索过滤算法"),
              "应用于搜索功能，根据用户输入的查询词，检索满足需求的{x}。", ("商品", "图书", "职位", "资讯")),
    "调度决策类": ("06", ("订单调度算法", "运力调度算法"),
              "应用于{x}场景，根据订单位置、运力等信息，进行订单分配与路径规划。",
              ("外卖配送", "生鲜配送", "同城货运", "网约车出行")),
    "生成合成类": ("01", ("文本生成算法", "智能客服算法"),
              "应用于智能客服场景，根据用户输入的{x}相关问题，生成相应的文本回复。",
              ("商品", "售后", "账户")),
}  # fmt: skip
_CATEGORY_WEIGHTS = {
    "个性化推送类": 45, "排序精选类": 12, "检索过滤类": 25, "调度决策类": 10, "生成合成类": 8,
}  # fmt: skip


class _Entity:
    def __init__(self, name: str, region: str, code: str, brand: str) -> None:
        self.name, self.region, self.code, self.brand = name, region, code, brand


def _batch_year(batch_label: str) -> int:
    m = re.fullmatch(r"(\d{4})年(\d{1,2})月", batch_label)
    if not m:
        raise ValueError(f"batch_label must look like '2023年8月', got {batch_label!r}")
    return int(m.group(1))


def synthetic_rows(list_type: str, batch_label: str, count: int, seed: int = 0) -> list[list[str]]:
    """``count`` realistic rows (in HEADERS[list_type] order) for a synthetic list.

    Entity names are obviously invented (``示例…有限公司``); filing numbers follow the real format
    (网信算备 + region + entity + type + year + sequence + 号) and are unique for a given
    (list_type, batch_label, seed); the same arguments always give the same rows. A few rows carry a
    ``变更内容：…`` remark and one (when count >= 3) ``已注销``.
    """
    if list_type not in HEADERS:
        raise ValueError(f"unknown list_type {list_type!r}; expected one of {sorted(HEADERS)}")
    if count < 0:
        raise ValueError("count must be >= 0")
    year = _batch_year(batch_label)
    rng = random.Random(f"{list_type}|{batch_label}|{seed}")

    entities: list[_Entity] = []
    used_entity_codes: set[str] = set()
    used_names: set[str] = set()

    def new_entity() -> _Entity:
        while True:
            brand = rng.choice(_BRANDS) + rng.choice(_BRANDS)
            name = f"示例{brand}{rng.choice(_ENTITY_SUFFIXES)}"
            code = f"{rng.randrange(10**7):07d}"
            if name not in used_names and code not in used_entity_codes:
                used_names.add(name)
                used_entity_codes.add(code)
                return _Entity(name, rng.choice(_REGIONS), code, brand)

    used_numbers: set[str] = set()

    def filing_number(entity: _Entity, type_code: str) -> str:
        while True:
            yy = (year - (1 if rng.random() < 0.2 else 0)) % 100
            number = f"网信算备{entity.region}{entity.code}{type_code}{yy:02d}{rng.randrange(1, 10000):04d}号"
            if number not in used_numbers:
                used_numbers.add(number)
                return number

    def products(entity: _Entity) -> str:
        names = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            product = f"{entity.brand}{rng.choice(_PRODUCT_SUFFIXES)}{rng.choice(_CHANNELS)}"
            if product not in names:
                names.append(product)
        return "、".join(names)

    rows: list[list[str]] = []
    row_entities: list[_Entity] = []
    for i in range(1, count + 1):
        # Entities file one to three algorithms: reuse the previous entity now and then.
        if entities and rng.random() < 0.3:
            entity = entities[-1]
        else:
            entity = new_entity()
            entities.append(entity)
        row_entities.append(entity)
        if list_type == "deep_synthesis":
            kind, scene, given, output = rng.choice(_DEEP_KINDS)
            supporter = rng.random() < 0.25
            role = "服务技术支持者" if supporter else "服务提供者"
            name = f"{entity.brand}{kind}算法" + ("-1" if supporter and rng.random() < 0.3 else "")
            audience = "服务于企业端客户，" if supporter else ""
            purpose = f"应用于{scene}场景，{audience}根据{given}，生成{output}。"
            row = [str(i), name, role, entity.name, "--" if supporter else products(entity), purpose,
                   filing_number(entity, "01"), ""]  # fmt: skip
        else:
            category = rng.choices(list(_CATEGORY_WEIGHTS), weights=list(_CATEGORY_WEIGHTS.values()))[0]
            type_code, names, purpose, topics = _CATEGORIES[category]
            name = f"{entity.brand}{rng.choice(names)}"
            purpose_text = purpose.format(x=rng.choice(topics))
            row = [str(i), name, category, entity.name, products(entity), purpose_text,
                   filing_number(entity, type_code), ""]  # fmt: skip
        rows.append(row)

    if count >= 3:
        remark_rows = rng.sample(range(count), k=1 + max(1, count // 15))
        rows[remark_rows[0]][7] = "已注销"
        for r in remark_rows[1:]:
            row = rows[r]
            kinds = ["entity_renamed"] + (["product_added", "product_renamed"] if row[4] != "--" else [])
            kind = rng.choice(kinds)
            if kind == "product_added":
                extra = f"{row_entities[r].brand}{rng.choice(('极速版', '国际版', '专业版'))}(APP)"
                row[4] = f"{row[4]}、{extra}"
                row[7] = f"变更内容：新增产品{extra}"
            elif kind == "product_renamed":
                old = f"{row_entities[r].brand}{rng.choice(('Lite', '旧版', '测试版'))}(网站)"
                row[7] = f"变更内容：应用产品名称由“{old}”变更为“{row[4].split('、')[0]}”"
            else:
                old = f"示例{rng.choice(_BRANDS)}{rng.choice(_BRANDS)}{rng.choice(_ENTITY_SUFFIXES)}"
                row[7] = f"变更内容：主体名称由“{old}”变更为“{row[3]}”"
    return rows
