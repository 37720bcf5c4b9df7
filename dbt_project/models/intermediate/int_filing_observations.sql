-- One row per filing number per list: how the list shows the filing. Uses the current parser
-- version of each document and the latest observed document of each list. A number listed twice in
-- one list keeps its first row (lowest row_index); rows_in_list counts the duplicates. Entity names
-- are normalised (stray spaces removed, half-width parentheses made full-width).
-- Incremental by list: a run recomputes, from the whole history, every list that has a filing row
-- in a document with record events loaded after this table's `loaded_at` (new lists, re-fetched
-- attachments, replays with a newer parser version, whatever their observed_at), and replaces
-- those lists' rows; rows whose document version is no longer current are deleted afterwards.
{{ config(
    materialized='incremental',
    unique_key='list_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=[
        "delete from {{ this }} where observation_id in (
            select observations.observation_id
            from {{ this }} as observations
            left join {{ ref('int_document_parser_versions') }} as versions
                on observations.document_digest = versions.document_digest
                and observations.parser_version = versions.current_parser_version
            where versions.document_digest is null)",
    ],
) }}
with

current_versions as (

    select * from {{ ref('int_document_parser_versions') }}

),
{%- if is_incremental() %}

touched_documents as (

    select distinct document_digest
    from {{ ref('stg_regtrail__record_events') }}
    where loaded_at > {{ loaded_watermark(this) }}

),

affected_lists as (

    select distinct list_id
    from {{ ref('stg_cac__filings') }}
    where document_digest in (select document_digest from touched_documents)

),
{%- endif %}

filings as (

    select filings.*
    from {{ ref('stg_cac__filings') }} as filings
    inner join current_versions
        on filings.document_digest = current_versions.document_digest
            and filings.parser_version = current_versions.current_parser_version
    {%- if is_incremental() %}
    where filings.list_id in (select list_id from affected_lists)
    {%- endif %}

),

list_documents as (

    select
        list_id,
        document_digest,
        row_number() over (
            partition by list_id order by observed_at desc, document_digest desc
        ) as recency
    from (
        select distinct
            list_id,
            document_digest,
            observed_at
        from filings
    ) as documents

),

first_seen as (

    select
        filing_number,
        list_id,
        min(observed_at) as first_observed_at
    from filings
    group by filing_number, list_id

),

current_rows as (

    select
        filings.*,
        row_number() over (
            partition by filings.filing_number, filings.list_id
            order by filings.row_index nulls last, filings.event_id
        ) as occurrence,
        count(*) over (partition by filings.filing_number, filings.list_id) as rows_in_list
    from filings
    inner join list_documents
        on filings.list_id = list_documents.list_id
            and filings.document_digest = list_documents.document_digest
            and list_documents.recency = 1

),

-- what each document of the list shows for the filing (its first row), and since when each content
-- is shown: a content first shown by a later document of the same list (an attachment re-published
-- in place with different content) has a content_observed_at after first_observed_at
document_rows as (

    select
        filing_number,
        list_id,
        observed_at,
        {{ surrogate_key(content_columns()) }} as content_key,
        row_number() over (
            partition by filing_number, list_id, document_digest
            order by row_index asc nulls last, event_id asc
        ) as occurrence
    from filings

),

content_seen as (

    select
        filing_number,
        list_id,
        content_key,
        min(observed_at) as content_observed_at
    from document_rows
    where occurrence = 1
    group by filing_number, list_id, content_key

),

final as (

    select
        {{ surrogate_key(['current_rows.filing_number', 'current_rows.list_id']) }} as observation_id,
        current_rows.filing_number,
        current_rows.list_id,
        current_rows.list_type,
        current_rows.batch_label,
        current_rows.published_at,
        current_rows.published_precision,
        first_seen.first_observed_at,
        current_rows.observed_at,
        current_rows.algorithm_name,
        current_rows.role,
        current_rows.algorithm_category,
        {{ normalize_entity_name('current_rows.entity_name') }} as entity_name,
        current_rows.entity_name as entity_name_raw,
        current_rows.products,
        current_rows.purpose,
        current_rows.remark,
        current_rows.extra_columns,
        current_rows.seq,
        current_rows.seq_auto,
        current_rows.row_index,
        cast(current_rows.rows_in_list as integer) as rows_in_list,
        current_rows.rows_in_list > 1 as is_duplicated_in_list,
        current_rows.document_url,
        current_rows.document_digest,
        current_rows.parser_version,
        current_rows.source,
        current_rows.event_id as record_event_id,
        content_seen.content_observed_at,
        (select max(loads.loaded_at) from {{ ref('stg_regtrail__record_events') }} as loads) as loaded_at

    from current_rows
    inner join first_seen
        on current_rows.filing_number = first_seen.filing_number
            and current_rows.list_id = first_seen.list_id
    inner join content_seen
        on current_rows.filing_number = content_seen.filing_number
            and current_rows.list_id = content_seen.list_id
            and {{ surrogate_key(content_columns('current_rows.')) }} = content_seen.content_key
    where current_rows.occurrence = 1

)

select * from final
