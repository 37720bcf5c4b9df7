"""One row per organisation name: its English name and where that comes from (regtrail.names).

`official` from the reviewed seed entity_names_official; else `translated` (place + trade name in pinyin
words, jieba-segmented + industry words of the glossary + legal form, e.g. 北京月之暗面科技有限公司 ->
Beijing Moonshot Technology Co., Ltd.); `romanised` (pinyin only) where no glossary word, form, place or
brand applies. Places come from the seed admin_codes, brands from regtrail.names.glossary.BRANDS and the
group names of the seed entity_aliases (int_entity_aliases).

Translations are reused from an earlier build with the same translator, libraries, places and brands
(regtrail.names.memo, under REGTRAIL_CACHE_DIR): a build translates only the names it has not seen.

A Python model: dbt cannot enforce a contract on it; dim_entities, which exposes the result, is
contracted (name_en not null).
"""

import pyarrow as pa

from regtrail import settings
from regtrail.names import OFFICIAL, memo


def model(dbt, session):
    dbt.config(materialized="table")
    official = dict(dbt.ref("entity_names_official").project("name_zh, name_en").fetchall())
    groups = dbt.ref("int_entity_aliases").project("group_name_zh, group_name_en").distinct().fetchall()
    codes = dbt.ref("admin_codes").project("cast(adcode as varchar), name").fetchall()
    names = set()
    upstreams = (dbt.ref("int_filing_versions"), dbt.ref("int_genai_approvals"), dbt.ref("int_filing_cancellations"))
    for upstream in upstreams:  # the names dim_entities lists
        rows = upstream.filter("entity_name is not null").project("entity_name").distinct().fetchall()
        names.update(row[0] for row in rows)
    ordered = sorted(names)
    translated = memo.translations((name for name in ordered if not official.get(name)), codes, groups,
                                   settings.cache_dir() / "names")
    english = [(official[name], OFFICIAL) if official.get(name) else translated[name] for name in ordered]
    return pa.table({
        "entity_name": pa.array(ordered, pa.string()),
        "name_en": pa.array([name for name, _ in english], pa.string()),
        "name_en_source": pa.array([source for _, source in english], pa.string()),
    })
