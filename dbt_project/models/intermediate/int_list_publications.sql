-- One row per list (list_id = <list_type>:<batch_label>): the list's current document, when it was
-- published and first observed, what the source says it holds and how many rows were parsed.
-- When an attachment changed in place (new document digest), the latest observed document is the
-- list's current content.
-- A table: read by two marts and several tests; it scans the filings and publications.
{{ config(materialized='table') }}
with

current_versions as (

    select * from {{ ref('int_document_parser_versions') }}

),

publications as (

    select publications.*
    from {{ ref('stg_cac__list_publications') }} as publications
    inner join current_versions
        on publications.document_digest = current_versions.document_digest
            and publications.parser_version = current_versions.current_parser_version

),

filings as (

    select filings.*
    from {{ ref('stg_cac__filings') }} as filings
    inner join current_versions
        on filings.document_digest = current_versions.document_digest
            and filings.parser_version = current_versions.current_parser_version

),

ranked as (

    select
        *,
        row_number() over (
            partition by list_id order by observed_at desc, document_digest desc, event_id asc
        ) as recency,
        row_number() over (
            partition by list_id order by published_at nulls last, observed_at, event_id
        ) as earliest
    from publications

),

list_history as (

    select
        list_id,
        min(observed_at) as first_observed_at,
        count(distinct document_digest) as documents_count
    from publications
    group by list_id

),

parsed as (

    select
        list_id,
        document_digest,
        count(*) as parsed_rows,
        count(distinct filing_number) as distinct_filings
    from filings
    group by list_id, document_digest

),

final as (

    select
        latest.list_id,
        latest.list_type,
        latest.batch_label,
        latest.title,
        latest.attachment_label,
        first_published.published_at,
        first_published.published_precision,
        list_history.first_observed_at,
        latest.observed_at as last_observed_at,
        latest.notice_url,
        latest.notice_title,
        latest.attachment_url,
        latest.file_name,
        latest.document_url,
        latest.document_digest,
        latest.parser_version,
        latest.source,
        list_history.documents_count,
        latest.row_count,
        latest.expected_count,
        latest.unknown_columns,
        latest.unknown_column_count,
        latest.leftover_row_count,
        coalesce(parsed.parsed_rows, 0) as parsed_rows,
        coalesce(parsed.distinct_filings, 0) as distinct_filings

    from ranked as latest
    inner join ranked as first_published
        on latest.list_id = first_published.list_id
            and first_published.earliest = 1
    inner join list_history
        on latest.list_id = list_history.list_id
    left join parsed
        on latest.list_id = parsed.list_id
            and latest.document_digest = parsed.document_digest
    where latest.recency = 1

)

select * from final
