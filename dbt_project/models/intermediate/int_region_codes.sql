-- One row per region reference the warehouse holds, resolved against the code table (seed
-- admin_codes, from cpca 0.5.5): the 6-digit administrative code of each 备案编号 (网信算备110108… =
-- 北京市海淀区) and the 属地 text of each generative-AI row (a province name, or 国资委 for central
-- state-owned enterprises). A code the table holds resolves exactly (resolution = its level); a code
-- it does not hold (since changed, or mistyped) resolves only to the province and city its prefixes
-- name; anything else is 'unresolved' and listed in fct_unresolved_regions, never guessed.
{{ config(materialized='table') }}
with

codes as (

    select * from {{ ref('admin_codes') }}

),

divisions as (

    -- every division with its province and city; the placeholders 市辖区/县 of a municipality's city
    -- level (and 省直辖县级行政区划) name no city: a municipality is its own city
    select
        codes.adcode,
        codes.name,
        case
            when codes.adcode like '%0000' then 'province'
            when codes.adcode like '%00' then 'city'
            else 'district'
        end as level,
        province.adcode as province_code,
        province.name as province,
        case
            when city.name in ('市辖区', '县') then province.adcode
            when city.name like '%直辖县级行政区划' then null
            else city.adcode
        end as city_code,
        case
            when city.name in ('市辖区', '县') then province.name
            when city.name like '%直辖县级行政区划' then null
            else city.name
        end as city
    from codes
    left join codes as province
        on province.adcode = substr(codes.adcode, 1, 2) || '0000'
    left join codes as city
        on city.adcode = substr(codes.adcode, 1, 4) || '00'
            and codes.adcode not like '%0000'

),

filing_codes as (

    select distinct {{ filing_number_region('filing_number') }} as region_ref
    from {{ ref('int_filing_versions') }}
    union
    select distinct {{ filing_number_region('filing_number') }}
    from {{ ref('int_filing_cancellations') }}

),

approval_regions as (

    select distinct region as region_ref
    from {{ ref('int_genai_approvals') }}
    where region is not null

),

by_code as (

    select
        filing_codes.region_ref,
        'adcode' as ref_kind,
        coalesce(exact.province_code, province.adcode) as province_code,
        coalesce(exact.province, province.name) as province,
        coalesce(exact.city_code, city.city_code) as city_code,
        coalesce(exact.city, city.city) as city,
        case when exact.level = 'district' then exact.adcode end as district_code,
        case when exact.level = 'district' then exact.name end as district,
        case
            when exact.adcode is not null then exact.level
            when city.city is not null then 'city_prefix'
            when province.adcode is not null then 'province_prefix'
            else 'unresolved'
        end as resolution
    from filing_codes
    left join divisions as exact
        on filing_codes.region_ref = exact.adcode
    left join codes as province
        on province.adcode = substr(filing_codes.region_ref, 1, 2) || '0000'
    left join divisions as city
        on city.adcode = substr(filing_codes.region_ref, 1, 4) || '00'
            and city.level = 'city'
    where filing_codes.region_ref is not null

),

by_name as (

    select
        approval_regions.region_ref,
        'province_name' as ref_kind,
        province.adcode as province_code,
        province.name as province,
        cast(null as varchar) as city_code,
        cast(null as varchar) as city,
        cast(null as varchar) as district_code,
        cast(null as varchar) as district,
        case when province.adcode is not null then 'province' else 'unresolved' end as resolution
    from approval_regions
    left join divisions as province
        on province.name = trim(approval_regions.region_ref)
            and province.level = 'province'

),

final as (

    select * from by_code
    union all
    select * from by_name

)

select * from final
