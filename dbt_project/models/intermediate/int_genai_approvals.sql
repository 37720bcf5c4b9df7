-- One row per generative-AI 备案号 / 上线编号: the first list that shows it (incremental lists before
-- yearly summaries), from the current parser version of each document. approved_date is 备案时间 /
-- 登记时间 where given (also for a late `（补登）` registration, which is flagged), else the list's
-- publication date. approval_kind: filing (备案), registration (登记) or ondevice (手机端侧 services).
-- quirks keep what is irregular about the row as printed (the row is not corrected).
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

ranked as (

    select
        *,
        row_number() over (
            partition by genai_number
            order by is_summary, published_at nulls last, observed_at, list_id, row_index
        ) as occurrence,
        count(distinct list_id) over (partition by genai_number) as lists_count
    from rows

),

final as (

    select
        genai_number,
        genai_kind,
        genai_kind as approval_kind,
        seq,
        region,
        model_name,
        {{ normalize_entity_name('entity_name') }} as entity_name,
        entity_name as entity_name_raw,
        filed_date,
        filed_text,
        coalesce(filed_text like '%补登%', false) as is_late_registration,
        scenario,
        quirks,
        is_synthetic,
        coalesce(filed_date, published_at, {{ utc_date('observed_at') }}) as approved_date,
        case
            when filed_date is not null then 'filed'
            when published_at is not null then 'published'
            else 'observed'
        end as date_basis,
        case when filed_date is null and published_at is not null then published_precision else 'day' end
            as date_precision,
        list_id,
        period,
        published_at,
        cast(lists_count as integer) as lists_count,
        notice_url,
        document_url,
        observed_at,
        event_id as record_event_id

    from ranked
    where occurrence = 1

)

select * from final
