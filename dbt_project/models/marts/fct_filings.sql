-- One row per filing number: its current fields (from the latest list that shows it), when and in
-- which batch it was first listed, how many lists show it and every registry (list_types) they belong to,
-- and whether it is cancelled (by a
-- cancellation notice or a list marking it 已注销), and the province/city/district its number's
-- administrative code names (int_region_codes). A filing named by a cancellation notice but shown
-- in no list regtrail holds is known from the notice alone (known_from = 'cancellation_notice'): its
-- fields are the notice's (algorithm, 角色 or 算法类别, entity, product) and it has no listing.
-- Incremental by filing: a run recomputes the filings whose history (int_filing_versions) or
-- cancellation notices were loaded after this table's `loaded_at`, and the filings this table
-- shows as cancelled by a notice that no longer names them; filings gone from the history are deleted.
{{ config(
    materialized='incremental',
    unique_key='filing_number',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=[
        "delete from {{ this }} where filing_number not in (
            select filing_number from {{ ref('int_filing_versions') }})
            and filing_number not in (select filing_number from {{ ref('int_filing_cancellations') }})",
    ],
) }}
with
{%- if is_incremental() %}

scope as (

    {{ filings_loaded_after(this) }}
    union
    select filing_number
    from {{ this }}
    where cancellation_basis = 'notice'
        and filing_number not in (select filing_number from {{ ref('int_filing_cancellations') }})

),
{%- endif %}

versions as (

    select * from {{ ref('int_filing_versions') }}
    {%- if is_incremental() %}
    where filing_number in (select filing_number from scope)
    {%- endif %}

),

latest as (

    select * from versions
    where is_latest

),

first_listing as (

    select * from versions
    where is_first

),

history as (

    select
        filing_number,
        count(*) as lists_count,
        max(published_at) as last_listed_date,
        min(first_observed_at) as first_observed_at,
        max(observed_at) as last_observed_at,
        max(case when has_change_remark or {{ list_length('changed_fields') }} > 0 then 1 else 0 end) = 1
            as has_changes
    from versions
    group by filing_number

),

-- every registry the filing is listed in, in the order it first appeared there (a number listed by an
-- algorithm-recommendation list and later by a deep-synthesis list has both)
registries as (

    select
        filing_number,
        list(list_type order by first_version) as list_types
    from (
        select
            filing_number,
            list_type,
            min(version_number) as first_version
        from versions
        group by filing_number, list_type
    ) as per_type
    group by filing_number

),

listed_cancellations as (

    select
        filing_number,
        -- the date of the first version marking it 已注销, as its filing_cancelled event gives it (the 1st of the
        -- month for a list dated by its month; the window is on the timeline)
        arg_min(change_date, version_number) as cancelled_date
    from versions
    where is_cancelled
    group by filing_number

),

notice_cancellations as (

    select
        filing_number,
        cancelled_date
    from {{ ref('int_filing_cancellations') }}
    {%- if is_incremental() %}
    where filing_number in (select filing_number from scope)
    {%- endif %}

),

-- A cancellation notice dates the cancellation; a list marking 已注销 only shows it happened on or
-- before that list's publication (after the previous list showing the filing): dated by the list.
cancellations as (

    select
        coalesce(notice_cancellations.filing_number, listed_cancellations.filing_number) as filing_number,
        coalesce(notice_cancellations.cancelled_date, listed_cancellations.cancelled_date) as cancelled_date,
        case when notice_cancellations.filing_number is not null then 'notice' else 'list_remark' end
            as cancellation_basis
    from notice_cancellations
    full outer join listed_cancellations
        on notice_cancellations.filing_number = listed_cancellations.filing_number

),

-- every listing of the filing rests on an invented document
synthetic_filings as (

    select versions.filing_number
    from versions
    group by versions.filing_number
    having bool_and(versions.record_event_id in (
            select synthetic.event_id from {{ ref('int_synthetic_records') }} as synthetic
        ))

),

regions as (

    select * from {{ ref('int_region_codes') }}
    where ref_kind = 'adcode'

),

-- the corporate group of an organisation, as in the other marts (int_entity_aliases)
entity_groups as (

    select
        entity_name_zh,
        min(group_name_en) as entity_group
    from {{ ref('int_entity_aliases') }}
    where entity_name_zh is not null
    group by entity_name_zh

),

-- What is known of each filing, from its lists or, failing any, from the cancellation notice naming it;
-- the columns derived from the filing number (region, algorithm type, year) are added once, in final.
listed as (

    select
        latest.filing_number,
        latest.algorithm_name,
        latest.role,
        latest.algorithm_category,
        latest.entity_name,
        latest.products,
        latest.purpose,
        latest.remark,
        latest.extra_columns,
        latest.list_type,
        registries.list_types,
        latest.list_id as last_list_id,
        latest.batch_label as last_batch_label,
        first_listing.published_at as first_listed_date,
        first_listing.published_precision as first_listed_precision,
        first_listing.list_id as first_list_id,
        first_listing.batch_label as first_batch_label,
        history.last_listed_date,
        cast(history.lists_count as integer) as lists_count,
        case when cancellations.filing_number is not null then 'cancelled' else 'active' end as status,
        cancellations.cancelled_date,
        cancellations.cancellation_basis,
        history.has_changes,
        'list' as known_from,
        latest.filing_number in (
            select synthetic_filings.filing_number from synthetic_filings
        ) as is_synthetic,
        history.first_observed_at,
        history.last_observed_at

    from latest
    inner join first_listing
        on latest.filing_number = first_listing.filing_number
    inner join history
        on latest.filing_number = history.filing_number
    inner join registries
        on latest.filing_number = registries.filing_number
    left join cancellations
        on latest.filing_number = cancellations.filing_number

),

-- Named by a cancellation notice, in no list regtrail holds: the notice is all that is known.
notice_only as (

    select
        notices.filing_number,
        notices.algorithm_name,
        case when notices.role not like '%类' then notices.role end as role,
        case when notices.role like '%类' then notices.role end as algorithm_category,
        notices.entity_name,
        notices.products,
        cast(null as varchar) as purpose,
        cast(null as varchar) as remark,
        cast(null as varchar) as extra_columns,
        case when notices.role like '%类' then 'algo_recommendation' else 'deep_synthesis' end as list_type,
        [case when notices.role like '%类' then 'algo_recommendation' else 'deep_synthesis' end] as list_types,
        cast(null as varchar) as last_list_id,
        cast(null as varchar) as last_batch_label,
        cast(null as date) as first_listed_date,
        cast(null as varchar) as first_listed_precision,
        cast(null as varchar) as first_list_id,
        cast(null as varchar) as first_batch_label,
        cast(null as date) as last_listed_date,
        0 as lists_count,
        'cancelled' as status,
        notices.cancelled_date,
        'notice' as cancellation_basis,
        false as has_changes,
        'cancellation_notice' as known_from,
        notices.record_event_id in (
            select synthetic.event_id from {{ ref('int_synthetic_records') }} as synthetic
        ) as is_synthetic,
        notices.observed_at as first_observed_at,
        notices.observed_at as last_observed_at

    from {{ ref('int_filing_cancellations') }} as notices
    where notices.filing_number not in (
            select listed_versions.filing_number from {{ ref('int_filing_versions') }} as listed_versions
        )
    {%- if is_incremental() %}
        and notices.filing_number in (select filing_number from scope)
    {%- endif %}

),

known as (

    select * from listed
    union all by name
    select * from notice_only

),

final as (

    select
        known.filing_number,
        known.algorithm_name,
        known.role,
        known.algorithm_category,
        known.entity_name,
        entity_groups.entity_group,
        known.products,
        known.purpose,
        known.remark,
        known.extra_columns,
        known.list_type,
        known.list_types,
        known.last_list_id,
        known.last_batch_label,
        known.first_listed_date,
        known.first_listed_precision,
        known.first_list_id,
        known.first_batch_label,
        known.last_listed_date,
        known.lists_count,
        known.status,
        known.cancelled_date,
        known.cancellation_basis,
        known.has_changes,
        {{ filing_number_part('known.filing_number', 'region') }} as region_code,
        regions.province_code,
        regions.province,
        regions.city,
        regions.district,
        coalesce(regions.resolution, 'unresolved') as region_resolution,
        {{ filing_number_part('known.filing_number', 'algorithm_type') }} as algorithm_type_code,
        {{ filing_number_part('known.filing_number', 'year') }} as filing_year_code,
        known.known_from,
        known.is_synthetic,
        known.first_observed_at,
        known.last_observed_at,
        (select max(filing_versions.loaded_at) from {{ ref('int_filing_versions') }} as filing_versions) as loaded_at

    from known
    left join regions
        on {{ filing_number_region('known.filing_number') }} = regions.region_ref
    left join entity_groups
        on known.entity_name = entity_groups.entity_name_zh

)

select * from final
