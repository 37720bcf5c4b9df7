-- One row per entry of the reviewed seed entity_aliases: a corporate group's own names (entity_name_zh
-- NULL) or one of its legal entities as the lists print it, with the aliases news may use for it. The one
-- model that reads the seed: the marts take an organisation's corporate group and aliases from here,
-- int_news_entity_mentions the names it looks for in news, int_entity_english_names the group names.
with

seed as (

    select * from {{ ref('entity_aliases') }}

),

final as (

    select
        group_id,
        group_name_en,
        group_name_zh,
        entity_name_zh,
        case when aliases is null then {{ empty_string_list() }} else string_split(aliases, '|') end as aliases
    from seed

)

select * from final
