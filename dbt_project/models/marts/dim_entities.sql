-- One row per organisation (normalised Chinese name) that appears in a filing list, a generative-AI
-- list or a cancellation notice. English name from int_entity_english_names (the reviewed seed
-- entity_names_official, else a translation, else pinyin; `name_en_source` says which); aliases and
-- corporate group from the reviewed seed entity_aliases (int_entity_aliases); a renamed company keeps one
-- row per name.
-- province/city/district: where most of its filing numbers' administrative codes and generative-AI 属地 place it.
with

versions as (

    select * from {{ ref('int_filing_versions') }}

),

filings as (

    select * from {{ ref('fct_filings') }}

),

approvals as (

    select * from {{ ref('int_genai_approvals') }}

),

notice_cancellations as (

    select * from {{ ref('int_filing_cancellations') }}

),

english as (

    select * from {{ ref('int_entity_english_names') }}

),

groups as (

    select * from {{ ref('int_entity_aliases') }}
    where entity_name_zh is not null

),

all_names as (

    select entity_name from versions
    where entity_name is not null
    union
    select entity_name from approvals
    where entity_name is not null
    union
    select entity_name from notice_cancellations
    where entity_name is not null

),

listed_under_name as (

    select
        entity_name,
        min(published_at) as first_listed_date,
        max(published_at) as last_listed_date,
        count(distinct filing_number) as filings_count
    from versions
    where entity_name is not null
    group by entity_name

),

genai_under_name as (

    select
        entity_name,
        min(approved_date) as first_genai_date,
        count(*) as genai_services_count
    from approvals
    where entity_name is not null
    group by entity_name

),

spellings as (

    select
        entity_name,
        {{ string_list_agg('entity_name_raw') }} as spelling_variants
    from (
        select distinct
            entity_name,
            entity_name_raw
        from versions
        where entity_name is not null
            and entity_name_raw is not null
            and entity_name_raw <> entity_name
    ) as variants
    group by entity_name

),

current_holdings as (

    select
        entity_name,
        count(*) as current_filings_count,
        sum(case when status = 'active' then 1 else 0 end) as active_filings_count
    from filings
    where entity_name is not null
    group by entity_name

),

region_mentions as (

    select
        entity_name,
        province_code,
        province,
        city,
        district
    from filings
    where entity_name is not null and province_code is not null
    union all
    select
        approvals.entity_name,
        regions.province_code,
        regions.province,
        regions.city,
        regions.district
    from approvals
    inner join {{ ref('int_region_codes') }} as regions
        on regions.ref_kind = 'province_name'
            and approvals.region = regions.region_ref
    where approvals.entity_name is not null and regions.province_code is not null

),

-- the place most of an organisation's filings and approvals name (the most precise on a tie)
entity_regions as (

    select
        entity_name,
        province_code,
        province,
        city,
        district,
        row_number() over (
            partition by entity_name
            order by
                count(*) desc, district asc nulls last, city asc nulls last, province_code asc, city asc, district asc
        ) as rank,
        count(distinct province_code) over (partition by entity_name) as provinces_count
    from region_mentions
    group by entity_name, province_code, province, city, district

),

final as (

    select
        {{ surrogate_key(['all_names.entity_name']) }} as entity_id,
        all_names.entity_name as entity_name_zh,
        english.name_en,
        english.name_en_source,
        coalesce(groups.aliases, {{ empty_string_list() }}) as aliases,
        groups.group_id,
        groups.group_name_en as group_name,
        groups.group_name_zh,
        coalesce(spellings.spelling_variants, {{ empty_string_list() }}) as spelling_variants,
        listed_under_name.first_listed_date,
        listed_under_name.last_listed_date,
        cast(coalesce(listed_under_name.filings_count, 0) as integer) as filings_count,
        cast(coalesce(current_holdings.current_filings_count, 0) as integer) as current_filings_count,
        cast(coalesce(current_holdings.active_filings_count, 0) as integer) as active_filings_count,
        entity_regions.province_code,
        entity_regions.province,
        entity_regions.city,
        entity_regions.district,
        cast(coalesce(entity_regions.provinces_count, 0) as integer) as provinces_count,
        genai_under_name.first_genai_date,
        cast(coalesce(genai_under_name.genai_services_count, 0) as integer) as genai_services_count

    from all_names
    left join listed_under_name
        on all_names.entity_name = listed_under_name.entity_name
    left join genai_under_name
        on all_names.entity_name = genai_under_name.entity_name
    left join current_holdings
        on all_names.entity_name = current_holdings.entity_name
    left join spellings
        on all_names.entity_name = spellings.entity_name
    left join groups
        on all_names.entity_name = groups.entity_name_zh
    left join entity_regions
        on all_names.entity_name = entity_regions.entity_name
            and entity_regions.rank = 1
    left join english
        on all_names.entity_name = english.entity_name

)

select * from final
