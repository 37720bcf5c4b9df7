-- One row per filing record event: a data row of a CAC list attachment, as parsed by one
-- parser version. Payload fields unpacked into typed columns; empty text becomes NULL.
-- Incremental (the JSON is unpacked once per event): a run takes the record events loaded after
-- its own newest `loaded_at`; an event re-decided upstream (a retry copy) replaces its row.
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
with

source as (

    select * from {{ ref('stg_regtrail__record_events') }}
    where record_type = 'filing'
    {%- if is_incremental() %}
        and loaded_at > {{ loaded_watermark(this) }}
    {%- endif %}

),

renamed as (

    select
        event_id,
        source,
        coalesce(nullif(trim({{ json_text('payload', 'filing_number') }}), ''), record_key) as filing_number,
        nullif(trim({{ json_text('payload', 'algorithm_name') }}), '') as algorithm_name,
        nullif(trim({{ json_text('payload', 'role') }}), '') as role,
        nullif(trim({{ json_text('payload', 'algorithm_category') }}), '') as algorithm_category,
        nullif(trim({{ json_text('payload', 'entity_name') }}), '') as entity_name,
        nullif(trim({{ json_text('payload', 'products') }}), '') as products,
        nullif(trim({{ json_text('payload', 'purpose') }}), '') as purpose,
        nullif(trim({{ json_text('payload', 'remark') }}), '') as remark,
        nullif(trim({{ json_text('payload', 'seq') }}), '') as seq,
        coalesce({{ json_bool('payload', 'seq_auto') }}, false) as seq_auto,
        cast({{ json_int('payload', 'row_index') }} as integer) as row_index,
        {{ json_text('payload', 'list_type') }} as list_type,
        {{ json_text('payload', 'batch_label') }} as batch_label,
        coalesce(
            {{ json_text('payload', 'list_id') }},
            {{ json_text('payload', 'list_type') }} || ':' || {{ json_text('payload', 'batch_label') }}
        ) as list_id,
        document_url,
        document_digest,
        published_at,
        published_precision,
        observed_at,
        parser,
        parser_version,
        fetch_event_id,
        run_key,
        loaded_at

    from source

)

select * from renamed
