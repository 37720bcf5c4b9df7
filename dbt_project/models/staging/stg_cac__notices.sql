-- One row per notice record event: a CAC notice page (title, publication time, attachments).
with

source as (

    select * from {{ ref('stg_regtrail__record_events') }}
    where record_type = 'notice'

),

renamed as (

    select
        event_id,
        source,
        coalesce(record_key, document_url) as notice_url,
        {{ json_text('payload', 'title') }} as title,
        {{ json_text('payload', 'pubtime') }} as pubtime_text,
        {{ json_raw('payload', 'attachments') }} as attachments_json,
        coalesce(cast({{ json_array_length('payload', 'attachments') }} as integer), 0) as attachments_count,
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
