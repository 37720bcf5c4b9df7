-- One row per filing number per list: how the list shows the filing. Uses the current parser
-- version of each document and the latest observed document of each list. A number listed twice in
-- one list keeps its first row (lowest row_index); rows_in_list counts the duplicates. Entity names
-- are normalised (stray spaces removed, half-width parentheses made full-width).
with

current_versions as (

    select * from {{ ref('int_document_parser_versions') }}

),

filings as (

    select filings.*
    from {{ ref('stg_cac__filings') }} as filings
    inner join current_versions
        on filings.document_digest = current_versions.document_digest
        and filings.parser_version = current_versions.current_parser_version

),

list_documents as (

    select
        list_id,
        document_digest,
        row_number() over (
            partition by list_id order by observed_at desc, document_digest desc
        ) as recency
    from (select distinct list_id, document_digest, observed_at from filings) as documents

),

first_seen as (

    select filing_number, list_id, min(observed_at) as first_observed_at
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
        current_rows.seq,
        current_rows.seq_auto,
        current_rows.row_index,
        cast(current_rows.rows_in_list as integer) as rows_in_list,
        current_rows.rows_in_list > 1 as is_duplicated_in_list,
        current_rows.document_url,
        current_rows.document_digest,
        current_rows.parser_version,
        current_rows.source,
        current_rows.event_id as record_event_id

    from current_rows
    inner join first_seen
        on current_rows.filing_number = first_seen.filing_number
        and current_rows.list_id = first_seen.list_id
    where current_rows.occurrence = 1

)

select * from final
