-- One row per parse_failure record event: a fetched document that no parser could read.
with

source as (

    select * from {{ ref('stg_regtrail__record_events') }}
    where record_type = 'parse_failure'

),

renamed as (

    select
        event_id,
        source,
        document_url,
        document_digest,
        {{ json_text('payload', 'error') }} as error,
        {{ json_text('payload', 'detected_type') }} as detected_type,
        {{ json_text('payload', 'file_name') }} as file_name,
        coalesce({{ json_text('payload', 'parser') }}, parser) as parser,
        parser_version,
        published_at,
        observed_at,
        fetch_event_id,
        run_key

    from source

)

select * from renamed
