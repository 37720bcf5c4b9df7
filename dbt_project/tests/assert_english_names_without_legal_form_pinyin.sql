-- No English name spells a legal form in pinyin (有限公司 -> Youxian Gongsi, 股份 -> Gufen): forms are
-- translated (Co., Ltd.) by regtrail.names. A trade name that merely sounds alike (天津又闲 -> Youxian) passes.
select
    entity_name,
    name_en
from {{ ref('int_entity_english_names') }}
where {{ regex_matches('lower(name_en)', '(gongsi|youxian ?zeren|youxian ?gongsi|gufen ?youxian|\\bgufen\\b)') }}
