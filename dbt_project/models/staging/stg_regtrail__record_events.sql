with

source as (

    select * from {{ source('regtrail', 'record_events') }}

),

deduplicated as (

    select
        *,
        row_number() over (partition by event_id order by observed_at, run_key) as occurrence
    from source

),

renamed as (

    select
        event_id,
        source,
        record_type,
        record_key,
        payload,
        payload_digest,
        document_url,
        document_digest,
        cast(published_at as date) as published_at,
        published_precision,
        observed_at,
        parser,
        cast(parser_version as varchar) as parser_version,
        fetch_event_id,
        run_key

    from deduplicated
    where occurrence = 1

)

select * from renamed
