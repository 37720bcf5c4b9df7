-- One row per event on the timeline:
--   filing_listed       one per filing per list, dated by the list's publication date;
--   filing_changed      a list shows changed fields (old -> new values), or a new 备注 describing a change;
--   filing_cancelled    the cancellation notice naming the filing (dated by the notice), else the
--                       first list that marks the filing 已注销;
--   approval_announced  one per generative-AI 备案号/上线编号, dated by 备案时间/登记时间 where given;
--   news_reported       one per news article per corporate group it names, dated by the article.
-- entity_group / entity_group_zh / entity_name_en come from the reviewed seed entity_aliases, so
-- "everything about Huawei" is one WHERE on entity_group (or the Chinese or English name).
-- Dates: `date_basis` says where event_date comes from: 'published' (the regulator's date for the
-- list), 'remark' (a month written in 备注, e.g. 2024年8月，…), or 'observed' (the list carries no
-- date for the change, so the date regtrail first saw it: the change happened on or before it), or
-- 'filed' (备案时间/登记时间 of a generative-AI list row).
-- Incremental: a run recomputes every event of the filings whose history or cancellation notices
-- were loaded after this table's `loaded_at` (and of filings shown cancelled that no longer are),
-- plus all approval and news events (few, and they depend on the whole alias seed); the post-hooks
-- then delete what the recomputation no longer produces. Every row of one filing shares one loaded_at.
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=[
        "delete from {{ this }} where loaded_at < (select max(loaded_at) from {{ ref('int_filing_versions') }})
            and (event_type in ('approval_announced', 'news_reported')
                or filing_number in (
                    select filing_number from {{ this }}
                    where loaded_at = (select max(loaded_at) from {{ ref('int_filing_versions') }})))",
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
    where event_type = 'filing_cancelled'
        and filing_number not in (select filing_number from {{ ref('int_filing_cancellations') }})
        and filing_number not in (select filing_number from {{ ref('int_filing_versions') }} where is_cancelled)

),
{%- endif %}

versions as (

    select * from {{ ref('int_filing_versions') }}
    {%- if is_incremental() %}
    where filing_number in (select filing_number from scope)
    {%- endif %}

),

lists as (

    select * from {{ ref('int_list_publications') }}

),

enriched as (

    select
        versions.*,
        coalesce(lists.title, versions.list_id) as list_title,
        lists.notice_url,
        {{ string_list_join('versions.changed_fields', ', ') }} as changed_fields_text
    from versions
    left join lists
        on versions.list_id = lists.list_id

),

listed as (

    select
        'filing_listed' as event_type,
        coalesce(published_at, {{ utc_date('observed_at') }}) as event_date,
        case when published_at is not null then published_precision else 'day' end as event_precision,
        case when published_at is not null then 'published' else 'observed' end as date_basis,
        'Listed: ' || coalesce(algorithm_name, filing_number) as title,
        coalesce(entity_name, '?') || ' — ' || coalesce(algorithm_name, '?') || ' listed as '
            || filing_number || ' in ' || list_title as description,
        *
    from enriched

),

changed as (

    select
        'filing_changed' as event_type,
        case
            when remark_month is not null and is_new_remark and has_change_remark then remark_month
            when {{ list_length('changed_fields') }} > 0 and published_at is not null then published_at
            else {{ utc_date('observed_at') }}
        end as event_date,
        case
            when remark_month is not null and is_new_remark and has_change_remark then 'month'
            when {{ list_length('changed_fields') }} > 0 and published_at is not null then published_precision
            else 'day'
        end as event_precision,
        case
            when remark_month is not null and is_new_remark and has_change_remark then 'remark'
            when {{ list_length('changed_fields') }} > 0 and published_at is not null then 'published'
            else 'observed'
        end as date_basis,
        'Changed: ' || coalesce(algorithm_name, filing_number) as title,
        concat_ws(' ',
            filing_number || ' in ' || list_title || ':',
            case
                when {{ list_length('changed_fields') }} > 0
                    then 'changed ' || changed_fields_text || ' since ' || previous_list_id || ':'
            end,
            nullif(concat_ws('; ',
                case when version_number > 1 and algorithm_name is distinct from previous_algorithm_name
                    then 'algorithm_name “' || coalesce(previous_algorithm_name, '') || '” → “'
                        || coalesce(algorithm_name, '') || '”' end,
                case when version_number > 1 and entity_name is distinct from previous_entity_name
                    then 'entity_name “' || coalesce(previous_entity_name, '') || '” → “'
                        || coalesce(entity_name, '') || '”' end,
                case when version_number > 1 and products is distinct from previous_products
                    then 'products “' || coalesce(previous_products, '') || '” → “' || coalesce(products, '') || '”' end,
                case when version_number > 1 and purpose is distinct from previous_purpose
                    then 'purpose “' || coalesce(previous_purpose, '') || '” → “' || coalesce(purpose, '') || '”' end
            ), '') || case when {{ list_length('changed_fields') }} > 0 then '.' else '' end,
            case when has_change_remark and is_new_remark then '备注: ' || remark end
        ) as description,
        *
    from enriched
    where {{ list_length('changed_fields') }} > 0
        or (has_change_remark and is_new_remark)

),

notice_cancellations as (

    select * from {{ ref('int_filing_cancellations') }}
    {%- if is_incremental() %}
    where filing_number in (select filing_number from scope)
    {%- endif %}

),

first_cancellation as (

    select filing_number, min(version_number) as version_number
    from enriched
    where is_cancelled
        and filing_number not in (select filing_number from notice_cancellations)
    group by filing_number

),

cancelled as (

    select
        'filing_cancelled' as event_type,
        {{ utc_date('observed_at') }} as event_date,
        'day' as event_precision,
        'observed' as date_basis,
        'Cancelled: ' || coalesce(enriched.algorithm_name, enriched.filing_number) as title,
        enriched.filing_number || ' marked 已注销 in ' || enriched.list_title
            || ' (the list gives no cancellation date; first observed on this date).' as description,
        enriched.*
    from enriched
    inner join first_cancellation
        on enriched.filing_number = first_cancellation.filing_number
        and enriched.version_number = first_cancellation.version_number

),

filing_events as (

    select
        event_type, event_date, event_precision, date_basis, entity_name, filing_number, algorithm_name,
        list_id, list_type, batch_label, title, description, notice_url as source_url, document_url,
        observed_at, record_event_id, filing_number as key_a, list_id as key_b
    from listed
    union all
    select
        event_type, event_date, event_precision, date_basis, entity_name, filing_number, algorithm_name,
        list_id, list_type, batch_label, title, description, notice_url, document_url,
        observed_at, record_event_id, filing_number, list_id
    from changed
    union all
    select
        event_type, event_date, event_precision, date_basis, entity_name, filing_number, algorithm_name,
        list_id, list_type, batch_label, title, description, notice_url, document_url,
        observed_at, record_event_id, filing_number, list_id
    from cancelled

),

latest_versions as (

    select * from versions where is_latest

),

notice_cancelled as (

    select
        'filing_cancelled' as event_type,
        notice_cancellations.cancelled_date as event_date,
        'day' as event_precision,
        notice_cancellations.date_basis,
        coalesce(latest_versions.entity_name, notice_cancellations.entity_name) as entity_name,
        notice_cancellations.filing_number,
        coalesce(notice_cancellations.algorithm_name, latest_versions.algorithm_name) as algorithm_name,
        latest_versions.list_id,
        latest_versions.list_type,
        latest_versions.batch_label,
        'Cancelled: ' || coalesce(notice_cancellations.algorithm_name, notice_cancellations.filing_number) as title,
        notice_cancellations.filing_number || ' cancelled by the notice ' || coalesce(notice_cancellations.notice_title, '')
            || coalesce(' (注销时间 ' || notice_cancellations.cancelled_text || ')', '') || '.' as description,
        notice_cancellations.document_url as source_url,
        notice_cancellations.document_url,
        notice_cancellations.observed_at,
        notice_cancellations.record_event_id,
        notice_cancellations.filing_number as key_a,
        notice_cancellations.notice_id as key_b
    from notice_cancellations
    left join latest_versions
        on notice_cancellations.filing_number = latest_versions.filing_number

),

approvals as (

    select
        'approval_announced' as event_type,
        approved_date as event_date,
        date_precision as event_precision,
        date_basis,
        entity_name,
        genai_number as filing_number,
        model_name as algorithm_name,
        list_id,
        'genai_service' as list_type,
        period as batch_label,
        case genai_kind when 'filing' then 'Generative AI service filed: ' else 'Generative AI application registered: ' end
            || coalesce(model_name, genai_number) as title,
        coalesce(entity_name, '?') || ' — ' || coalesce(model_name, '?')
            || case genai_kind when 'filing' then ' filed with the CAC as ' else ' registered as ' end
            || genai_number || ' (' || coalesce(region, '?') || '), listed in ' || list_id || '.' as description,
        notice_url as source_url,
        document_url,
        observed_at,
        record_event_id,
        genai_number as key_a,
        list_id as key_b
    from {{ ref('int_genai_approvals') }}

),

news as (

    select
        'news_reported' as event_type,
        coalesce(published_at, {{ utc_date('observed_at') }}) as event_date,
        'day' as event_precision,
        case when published_at is not null then 'published' else 'observed' end as date_basis,
        cast(null as varchar) as entity_name,
        cast(null as varchar) as filing_number,
        cast(null as varchar) as algorithm_name,
        cast(null as varchar) as list_id,
        cast(null as varchar) as list_type,
        cast(null as varchar) as batch_label,
        'News: ' || headline as title,
        coalesce(outlet, '?') || ' reported “' || headline || '” (names ' || group_name_en || ' as '
            || {{ string_list_join('matched_aliases', ', ') }} || ').' as description,
        article_url as source_url,
        article_url as document_url,
        observed_at,
        record_event_id,
        article_url as key_a,
        group_id as key_b
    from {{ ref('int_news_entity_mentions') }}

),

news_groups as (

    select distinct article_url as key_a, group_id as key_b, group_id, group_name_en, group_name_zh
    from {{ ref('int_news_entity_mentions') }}

),

unioned as (

    select * from filing_events
    union all
    select * from notice_cancelled
    union all
    select * from approvals
    union all
    select * from news

),

entities as (

    select entity_name_zh, entity_name_en, group_id, group_name_en, group_name_zh
    from {{ ref('entity_aliases') }}
    where entity_name_zh is not null

),

final as (

    select
        {{ surrogate_key(['unioned.event_type', 'unioned.key_a', 'unioned.key_b']) }} as event_id,
        unioned.event_date,
        unioned.event_type,
        unioned.entity_name,
        coalesce(entities.entity_name_en, news_groups.group_name_en) as entity_name_en,
        coalesce(entities.group_name_en, news_groups.group_name_en) as entity_group,
        coalesce(entities.group_name_zh, news_groups.group_name_zh) as entity_group_zh,
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
        unioned.event_precision as published_precision,
        unioned.date_basis,
        unioned.record_event_id,
        (select max(loaded_at) from {{ ref('int_filing_versions') }}) as loaded_at

    from unioned
    left join entities
        on unioned.entity_name = entities.entity_name_zh
    left join news_groups
        on unioned.event_type = 'news_reported'
        and unioned.key_a = news_groups.key_a
        and unioned.key_b = news_groups.key_b

)

select * from final
