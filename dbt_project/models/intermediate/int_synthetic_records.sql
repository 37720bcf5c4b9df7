-- Record events parsed from a document the mirror invented (no real data available there): the
-- crawler marks them `synthetic: true` in the payload. Marts flag every row that rests on them
-- (is_synthetic), so an invented fact is never shown as a real one. Empty with the real data.
-- A table: two marts read it; it scans the record log once per build.
{{ config(materialized='table') }}
with

records as (

    select
        event_id,
        document_digest,
        payload
    from {{ ref('stg_regtrail__record_events') }}
    -- cheap text test first (canonical JSON: no spaces), then the parsed value
    where payload like '%"synthetic":true%'

),

final as (

    select
        event_id,
        document_digest
    from records
    where {{ json_bool('payload', 'synthetic') }}

)

select * from final
