-- One row per generative-AI 备案号 / 上线编号: the first list that shows it (incremental lists before
-- yearly summaries), from the current parser version of each document. approved_date is 备案时间 /
-- 登记时间 where given (also for a late `（补登）` registration, which is flagged), else the list's
-- publication date (int_genai_lists). announced_date is the day the regulator made the approval public: the
-- publication of that list (its earliest possible day; never before a row it prints).
-- approval_kind: filing (备案), registration (登记) or ondevice (手机端侧 services).
-- quirks keep what is irregular about the row as printed. One quirk is corrected: a row whose model-name
-- cell holds the organisation and whose organisation cell holds the model (name_entity_swapped) is
-- presented the right way round (model_name, entity_name), with the cells as printed kept in
-- model_name_raw / entity_name_raw and is_corrected true.
-- A table: read by two marts and several tests; it scans the record log.
{{ config(materialized='table') }}
with

current_versions as (

    select * from {{ ref('int_document_parser_versions') }}

),

rows as (

    select genai.*
    from {{ ref('stg_cac__genai_filings') }} as genai
    inner join current_versions
        on genai.document_digest = current_versions.document_digest
            and genai.parser_version = current_versions.current_parser_version

),

list_dates as (

    select * from {{ ref('int_genai_lists') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by genai_number
            order by is_summary, published_at nulls last, observed_at, list_id, row_index
        ) as occurrence,
        count(distinct list_id) over (partition by genai_number) as lists_count,
        coalesce(list_contains(quirks, 'name_entity_swapped'), false) as is_swapped
    from rows

),

final as (

    select
        ranked.genai_number,
        ranked.genai_kind,
        ranked.genai_kind as approval_kind,
        ranked.seq,
        ranked.region,
        case when ranked.is_swapped then ranked.entity_name else ranked.model_name end as model_name,
        ranked.model_name as model_name_raw,
        {{ normalize_entity_name(
            'case when ranked.is_swapped then ranked.model_name else ranked.entity_name end') }} as entity_name,
        ranked.entity_name as entity_name_raw,
        ranked.is_swapped as is_corrected,
        ranked.filed_date,
        ranked.filed_text,
        coalesce(ranked.filed_text like '%补登%', false) as is_late_registration,
        ranked.scenario,
        ranked.quirks,
        ranked.is_synthetic,
        coalesce(ranked.filed_date, list_dates.published_at, {{ utc_date('ranked.observed_at') }}) as approved_date,
        case
            when ranked.filed_date is not null then 'filed'
            when list_dates.published_at is not null then 'published'
            else 'observed'
        end as date_basis,
        case
            when ranked.filed_date is null and list_dates.published_at is not null then list_dates.published_precision
            else 'day'
        end as date_precision,
        coalesce(list_dates.published_at, {{ utc_date('ranked.observed_at') }}) as announced_date,
        case when list_dates.published_at is not null then list_dates.published_precision else 'day' end
            as announced_precision,
        coalesce(list_dates.published_latest, {{ utc_date('ranked.observed_at') }}) as announced_latest,
        coalesce(list_dates.date_basis, 'observed') as announced_basis,
        ranked.list_id,
        ranked.period,
        list_dates.published_at,
        cast(ranked.lists_count as integer) as lists_count,
        ranked.notice_url,
        ranked.document_url,
        ranked.observed_at,
        ranked.event_id as record_event_id

    from ranked
    left join list_dates
        on ranked.list_id = list_dates.list_id
    where ranked.occurrence = 1

)

select * from final
