with

source as (

    select * from {{ event_log('fetch_events', 'fetch') }}

),

deduplicated as (

    select
        *,
        row_number() over (partition by event_id order by started_at, run_key) as occurrence
    from source

),

renamed as (

    select
        event_id,
        source,
        run_key,
        url,
        fetched_url,
        referer,
        purpose,
        cast(attempt as integer) as attempt,
        started_at,
        cast(elapsed_ms as double) as elapsed_ms,
        cast(status as integer) as status,
        coalesce(ok, false) as is_ok,
        error_kind,
        error,
        content_type,
        etag,
        last_modified,
        payload_digest,
        cast(payload_size as bigint) as payload_size,
        archive_path

    from deduplicated
    where occurrence = 1

)

select * from renamed
