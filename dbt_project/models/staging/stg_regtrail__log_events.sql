-- One row per log event (events/log): what happened to the event log itself, deduplicated by event_id
-- (a crash between recording a quarantine and moving the segment records the same event twice).
with

source as (

    select * from {{ log_events_relation() }}

),

deduplicated as (

    select
        *,
        row_number() over (partition by event_id order by occurred_at, run_key) as occurrence
    from source

),

renamed as (

    select
        event_id,
        source,
        event_type,
        subject,
        detail,
        occurred_at,
        run_key

    from deduplicated
    where occurrence = 1

)

select * from renamed
