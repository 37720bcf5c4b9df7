-- One row per event on the timeline: the union of the event models in intermediate/timeline/
-- (filing_listed, filing_changed, filing_cancelled, approval_announced, news_reported; each model
-- says how its events are dated), joined to the reviewed seed entity_aliases (int_entity_aliases), so "everything about
-- Huawei" is one WHERE on entity_group (or the Chinese or English name, int_entity_english_names),
-- and to the province/city/district of the filing number's administrative code or the approval's 属地
-- (int_region_codes).
-- A change or 已注销 first shown by a list is dated by that list's publication (or the 备注 month),
-- never by the crawl; event_date_earliest / event_date_latest bound when it took effect.
-- Incremental: a run recomputes every event of the filings whose history or cancellation notices
-- were loaded after this table's `loaded_at` (and of filings shown cancelled that no longer are),
-- plus all approval and news events (few, and they depend on the whole alias seed); the post-hooks
-- then delete what the recomputation no longer produces. Every row of one filing shares one loaded_at.
-- The event models are views over the whole history (no window functions here), so filtering them
-- by filing number gives the same rows a full build gives for those filings.
{#- This build's watermark (`loaded_at` of every row it writes): the filings' (int_filing_versions); a log
    without filings (news or approvals only) has none, and then the newest record load stands in for it.
    Kept unrendered here: the post-hooks render it when they run; `final` spells it out. -#}
{%- set watermark = "coalesce((select max(loaded_at) from {{ ref('int_filing_versions') }}), "
                    "(select max(loaded_at) from {{ ref('stg_regtrail__record_events') }}))" -%}
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=[
        "delete from {{ this }} where loaded_at < " ~ watermark ~ "
            and (event_type in ('approval_announced', 'news_reported')
                or filing_number in (select filing_number from {{ this }} where loaded_at = " ~ watermark ~ "))",
        "delete from {{ this }} where event_type in ('filing_listed', 'filing_changed', 'filing_cancelled')
            and filing_number not in (select filing_number from {{ ref('int_filing_versions') }})
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
    where
        event_type = 'filing_cancelled'
        and filing_number not in (select filing_number from {{ ref('int_filing_cancellations') }})
        and filing_number not in (select filing_number from {{ ref('int_filing_versions') }} where is_cancelled)

),
{%- endif %}

filing_events as (

    {% for model in ['int_timeline__filing_listed', 'int_timeline__filing_changed',
                     'int_timeline__filing_cancelled'] -%}
        select * from {{ ref(model) }}
        {%- if is_incremental() %}
    where filing_number in (select filing_number from scope)
    {%- endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

unioned as (

    select * from filing_events
    union all
    select * from {{ ref('int_timeline__approval_announced') }}
    union all
    select * from {{ ref('int_timeline__news_reported') }}

),

entities as (

    select
        entity_name_zh,
        group_id,
        group_name_en,
        group_name_zh
    from {{ ref('int_entity_aliases') }}
    where entity_name_zh is not null

),

english as (

    select * from {{ ref('int_entity_english_names') }}

),

groups as (

    select distinct
        group_id,
        group_name_en,
        group_name_zh
    from {{ ref('int_entity_aliases') }}

),

approval_regions as (

    select
        genai_number,
        region
    from {{ ref('int_genai_approvals') }}

),

regions as (

    select * from {{ ref('int_region_codes') }}

),

final as (

    select
        unioned.event_id,
        unioned.event_date,
        unioned.event_type,
        unioned.entity_name,
        coalesce(english.name_en, groups.group_name_en) as entity_name_en,
        coalesce(entities.group_name_en, groups.group_name_en) as entity_group,
        coalesce(entities.group_name_zh, groups.group_name_zh) as entity_group_zh,
        unioned.filing_number,
        unioned.algorithm_name,
        unioned.list_id,
        unioned.list_type,
        unioned.batch_label,
        unioned.title,
        unioned.description,
        unioned.source_url,
        unioned.document_url,
        unioned.observed_at,
        unioned.published_precision,
        unioned.date_basis,
        unioned.event_date_earliest,
        unioned.event_date_latest,
        unioned.announced_date,
        unioned.record_event_id,
        regions.province_code,
        regions.province,
        regions.city,
        regions.district,
        unioned.record_event_id in (
            select synthetic.event_id from {{ ref('int_synthetic_records') }} as synthetic
        ) as is_synthetic,
        coalesce(
            (select max(filing_versions.loaded_at) from {{ ref('int_filing_versions') }} as filing_versions),
            (select max(loads.loaded_at) from {{ ref('stg_regtrail__record_events') }} as loads)
        ) as loaded_at

    from unioned
    left join entities
        on unioned.entity_name = entities.entity_name_zh
    left join english
        on unioned.entity_name = english.entity_name
    left join groups
        on unioned.group_id = groups.group_id
    left join approval_regions
        on unioned.event_type = 'approval_announced'
            and unioned.filing_number = approval_regions.genai_number
    -- the 属地 of a generative-AI row, the administrative code in a 备案编号 (int_region_codes)
    left join regions
        on regions.ref_kind = case when unioned.event_type = 'approval_announced' then 'province_name' else 'adcode' end
            and regions.region_ref = case
                when unioned.event_type = 'approval_announced' then approval_regions.region
                when unioned.event_type in ('filing_listed', 'filing_changed', 'filing_cancelled')
                    then {{ filing_number_region('unioned.filing_number') }}
            end

)

select * from final
