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

    select
        *,
        {{ json_text_fields('payload', [
            'filing_number', 'algorithm_name', 'role', 'algorithm_category', 'entity_name', 'products',
            'purpose', 'remark', 'seq', 'seq_auto', 'row_index', 'list_type', 'batch_label', 'list_id',
        ]) }} as fields
    from {{ ref('stg_regtrail__record_events') }}
    where record_type = 'filing'
    {%- if is_incremental() %}
        and loaded_at > {{ loaded_watermark(this) }}
    {%- endif %}

),

renamed as (

    select
        source.event_id,
        source,
        coalesce(nullif(trim(fields.filing_number), ''), source.record_key) as filing_number,
        nullif(trim(fields.algorithm_name), '') as algorithm_name,
        nullif(trim(fields.role), '') as role,
        nullif(trim(fields.algorithm_category), '') as algorithm_category,
        nullif(trim(fields.entity_name), '') as entity_name,
        nullif(trim(fields.products), '') as products,
        nullif(trim(fields.purpose), '') as purpose,
        nullif(trim(fields.remark), '') as remark,
        -- cells of columns the parser does not know, {header: value} (NULL when none): reported, never dropped
        nullif({{ json_raw('payload', 'extra') }}, '{}') as extra_columns,
        nullif(trim(fields.seq), '') as seq,
        coalesce({{ safe_cast('fields.seq_auto', 'boolean') }}, false) as seq_auto,
        cast({{ safe_cast('fields.row_index', 'bigint') }} as integer) as row_index,
        fields.list_type,
        fields.batch_label,
        coalesce(
            fields.list_id,
            fields.list_type || ':' || fields.batch_label
        ) as list_id,
        source.document_url,
        source.document_digest,
        source.published_at,
        source.published_precision,
        source.observed_at,
        source.parser,
        source.parser_version,
        source.fetch_event_id,
        source.run_key,
        source.loaded_at

    from source

)

select * from renamed
