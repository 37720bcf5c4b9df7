-- One row per record event, deduplicated by event_id. Incremental: a run reads only the segment
-- files it has not loaded yet (`segments` lists the files each event was read from; new files are read
-- with the options a full build reads the source `record_events` with), so a replay
-- that appends records for old documents (with old observed_at) is picked up by load, not by date.
-- An event_id seen again in a new segment (a crash/retry copy) is decided again over all its copies,
-- exactly as a full refresh decides it (first by observed_at, run_key, segment).
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
{%- set columns = [
    'event_id', 'source', 'record_type', 'record_key', 'payload', 'payload_digest', 'document_url',
    'document_digest', 'published_at', 'published_precision', 'observed_at', 'parser', 'parser_version',
    'fetch_event_id', 'run_key',
] -%}
with

new_rows as (

    {%- set segments = new_event_segments(this, 'records') if is_incremental() else none %}
    {%- if segments is none %}
        select {{ columns | join(', ') }}, filename as segment
        from {{ event_log('record_events', 'records') }}
    {%- elif segments %}
    -- only the new files are opened (a filename filter on the source glob would still read them all)
    select {{ columns | join(', ') }}, filename as segment
    from {{ read_event_segments(segments) }}
    {%- else %}
    select {{ columns | join(', ') }}, cast(null as varchar) as segment
    from {{ this }}
    where false
    {%- endif %}

),

occurrences as (

    select * from new_rows
    {%- if is_incremental() %}
    union all
    select {{ columns | join(', ') }}, {{ list_elements('segments') }} as segment
    from {{ this }}
    where event_id in (select event_id from new_rows)
    {%- endif %}

),

-- nearly every event occurs once: only the repeated ones are aggregated and ranked
repeated as (

    select
        event_id,
        {{ distinct_string_list_agg('segment') }} as segments
    from occurrences
    group by event_id
    having count(*) > 1

),

picked as (

    select
        occurrences.{{ columns | join(',\n        occurrences.') }},
        repeated.segments
    from occurrences
    inner join repeated
        on occurrences.event_id = repeated.event_id
    qualify row_number() over (
            partition by occurrences.event_id
            order by occurrences.observed_at, occurrences.run_key, occurrences.segment
        ) = 1

),

deduplicated as (

    select {{ columns | join(', ') }}, {{ single_string_list('segment') }} as segments
    from occurrences
    where event_id not in (select repeated.event_id from repeated)
    union all
    select * from picked

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
        run_key,
        segments,
        {{ load_time() }} as loaded_at

    from deduplicated

)

select * from renamed
