-- One row per organisation name that appears in a list (names normalised; a renamed company keeps
-- one row per name). English names, aliases and corporate groups are not sourced yet.
with

versions as (

    select * from {{ ref('int_filing_versions') }}

),

filings as (

    select * from {{ ref('fct_filings') }}

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

spellings as (

    select
        entity_name,
        {{ string_list_agg('entity_name_raw') }} as spelling_variants
    from (
        select distinct entity_name, entity_name_raw
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

final as (

    select
        {{ surrogate_key(['listed_under_name.entity_name']) }} as entity_id,
        listed_under_name.entity_name as entity_name_zh,
        cast(null as varchar) as name_en,
        {{ empty_string_list() }} as aliases,
        cast(null as varchar) as group_name,
        coalesce(spellings.spelling_variants, {{ empty_string_list() }}) as spelling_variants,
        listed_under_name.first_listed_date,
        listed_under_name.last_listed_date,
        cast(listed_under_name.filings_count as integer) as filings_count,
        cast(coalesce(current_holdings.current_filings_count, 0) as integer) as current_filings_count,
        cast(coalesce(current_holdings.active_filings_count, 0) as integer) as active_filings_count

    from listed_under_name
    left join current_holdings
        on listed_under_name.entity_name = current_holdings.entity_name
    left join spellings
        on listed_under_name.entity_name = spellings.entity_name

)

select * from final
