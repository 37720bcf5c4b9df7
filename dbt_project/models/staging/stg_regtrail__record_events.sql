-- One row per record event, deduplicated by event_id. Incremental: a run reads only the segment
-- files it has not loaded yet (`segments` lists the files each event was read from), so a replay
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

    select {{ columns | join(', ') }}, filename as segment
    from {{ source('regtrail', 'record_events') }}
    {%- if is_incremental() %}
    where {{ in_string_list('filename', new_event_segments(this, 'records')) }}
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

segments as (

    select event_id, {{ distinct_string_list_agg('segment') }} as segments
    from occurrences
    group by event_id

),

deduplicated as (

    select
        *,
        row_number() over (partition by event_id order by observed_at, run_key, segment) as occurrence
    from occurrences

),

renamed as (

    select
        deduplicated.event_id,
        deduplicated.source,
        deduplicated.record_type,
        deduplicated.record_key,
        deduplicated.payload,
        deduplicated.payload_digest,
        deduplicated.document_url,
        deduplicated.document_digest,
        cast(deduplicated.published_at as date) as published_at,
        deduplicated.published_precision,
        deduplicated.observed_at,
        deduplicated.parser,
        cast(deduplicated.parser_version as varchar) as parser_version,
        deduplicated.fetch_event_id,
        deduplicated.run_key,
        segments.segments,
        {{ load_time() }} as loaded_at

    from deduplicated
    inner join segments
        on deduplicated.event_id = segments.event_id
    where deduplicated.occurrence = 1

)

select * from renamed
