-- One row per (group, alias): every name under which news may mention a corporate group, from the
-- reviewed seed entity_aliases (group names, entity names and their listed aliases). ASCII aliases
-- match case-insensitively on word boundaries; Chinese aliases match as substrings.
with

seed as (

    select * from {{ ref('entity_aliases') }}

),

groups as (

    select distinct
        group_id,
        group_name_en,
        group_name_zh
    from seed

),

names as (

    select
        group_id,
        group_name_en as alias
    from seed
    union
    select
        group_id,
        group_name_zh
    from seed
    union
    select
        group_id,
        unnest(string_split(aliases, '|')) as alias
    from seed
    where aliases is not null

),

final as (

    select distinct
        names.group_id,
        groups.group_name_en,
        groups.group_name_zh,
        trim(names.alias) as alias,
        {{ regex_matches('trim(names.alias)', '^[\\x20-\\x7E]+$') }} as is_ascii
    from names
    inner join groups
        on names.group_id = groups.group_id
    where nullif(trim(names.alias), '') is not null

)

select * from final
