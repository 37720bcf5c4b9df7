-- One row per list_publication record event: one list attachment as parsed by one parser version,
-- with the row count the parser found and the count the source config expects.
with

source as (

    select * from {{ ref('stg_regtrail__record_events') }}
    where record_type = 'list_publication'

),

renamed as (

    select
        event_id,
        source,
        coalesce({{ json_text('payload', 'list_id') }}, record_key) as list_id,
        {{ json_text('payload', 'list_type') }} as list_type,
        {{ json_text('payload', 'batch_label') }} as batch_label,
        {{ json_text('payload', 'title') }} as title,
        {{ json_text('payload', 'attachment_label') }} as attachment_label,
        cast({{ json_int('payload', 'row_count') }} as integer) as row_count,
        cast({{ json_int('payload', 'expected_count') }} as integer) as expected_count,
        {{ json_text('payload', 'notice_url') }} as notice_url,
        {{ json_text('payload', 'notice_title') }} as notice_title,
        coalesce({{ json_text('payload', 'attachment_url') }}, document_url) as attachment_url,
        {{ json_text('payload', 'file_name') }} as file_name,
        -- Columns the parser did not know (kept in each filing's extra_columns): a JSON array of names.
        {{ json_raw('payload', 'unknown_columns') }} as unknown_columns,
        coalesce(cast({{ json_array_length('payload', 'unknown_columns') }} as integer), 0) as unknown_column_count,
        -- Table rows with text but no valid 备案编号 (totals footers, notes), kept out of the filings.
        coalesce(cast({{ json_array_length('payload', 'leftover_rows') }} as integer), 0) as leftover_row_count,
        document_url,
        document_digest,
        published_at,
        published_precision,
        observed_at,
        parser,
        parser_version,
        fetch_event_id,
        run_key

    from source

)

select * from renamed
