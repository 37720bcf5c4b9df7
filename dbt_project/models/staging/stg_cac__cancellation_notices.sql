-- One row per cancellation_notice record event: a notice of the filing system with its PDF, the
-- number of cancelled filings read from it and the count the source config expects.
with

source as (

    select * from {{ ref('stg_regtrail__record_events') }}
    where record_type = 'cancellation_notice'

),

renamed as (

    select
        event_id,
        source,
        coalesce({{ json_text('payload', 'notice_id') }}, record_key) as notice_id,
        {{ json_text('payload', 'title') }} as title,
        cast({{ json_int('payload', 'stated_count') }} as integer) as stated_count,
        cast({{ json_int('payload', 'row_count') }} as integer) as row_count,
        cast({{ json_int('payload', 'expected_count') }} as integer) as expected_count,
        coalesce({{ json_bool('payload', 'from_text') }}, false) as is_from_text,
        document_url,
        document_digest,
        published_at,
        observed_at,
        parser,
        parser_version,
        run_key

    from source

)

select * from renamed
