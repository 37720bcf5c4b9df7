-- One row per genai_list record event: one attachment of the generative-AI service notice page (or a
-- yearly summary), with the rows found per table and the counts the source config expects.
with

source as (

    select * from {{ ref('stg_regtrail__record_events') }}
    where record_type = 'genai_list'

),

renamed as (

    select
        event_id,
        source,
        coalesce({{ json_text('payload', 'list_id') }}, record_key) as list_id,
        {{ json_text('payload', 'period') }} as period,
        {{ json_text('payload', 'title') }} as title,
        {{ json_text('payload', 'attachment_label') }} as attachment_label,
        {{ json_text('payload', 'file_type') }} as file_type,
        cast({{ json_int('payload', 'filing_count') }} as integer) as filing_count,
        cast({{ json_int('payload', 'registration_count') }} as integer) as registration_count,
        cast({{ json_int('payload', 'expected_filings') }} as integer) as expected_filings,
        cast({{ json_int('payload', 'expected_registrations') }} as integer) as expected_registrations,
        cast({{ json_int('payload', 'ondevice_count') }} as integer) as ondevice_count,
        cast({{ json_int('payload', 'expected_ondevice') }} as integer) as expected_ondevice,
        {{ json_raw('payload', 'official_total') }} as official_total_json,
        {{ json_raw('payload', 'accepted_differences') }} as accepted_differences_json,
        coalesce({{ json_bool('payload', 'synthetic') }}, false) as is_synthetic,
        coalesce({{ json_bool('payload', 'is_summary') }}, false) as is_summary,
        {{ json_text('payload', 'notice_url') }} as notice_url,
        {{ json_text('payload', 'notice_title') }} as notice_title,
        coalesce({{ json_text('payload', 'attachment_url') }}, document_url) as attachment_url,
        {{ json_text('payload', 'file_name') }} as file_name,
        document_url,
        document_digest,
        published_at,
        published_precision,
        observed_at,
        parser,
        parser_version,
        run_key

    from source

)

select * from renamed
