-- One row per filing_cancellation record event: a filing number listed in a cancellation notice
-- (算法备案编号注销公告) of the filing system, dated by the notice.
with

source as (

    select * from {{ ref('stg_regtrail__record_events') }}
    where record_type = 'filing_cancellation'

),

renamed as (

    select
        event_id,
        source,
        coalesce(nullif(trim({{ json_text('payload', 'filing_number') }}), ''), record_key) as filing_number,
        nullif(trim({{ json_text('payload', 'algorithm_name') }}), '') as algorithm_name,
        nullif(trim({{ json_text('payload', 'role') }}), '') as role,
        nullif(trim({{ json_text('payload', 'entity_name') }}), '') as entity_name,
        nullif(trim({{ json_text('payload', 'products') }}), '') as products,
        nullif(trim({{ json_text('payload', 'cancelled_text') }}), '') as cancelled_text,
        cast({{ json_int('payload', 'row_index') }} as integer) as row_index,
        {{ json_text('payload', 'notice_id') }} as notice_id,
        {{ json_text('payload', 'notice_title') }} as notice_title,
        document_url,
        document_digest,
        published_at,
        published_precision,
        observed_at,
        parser,
        parser_version,
        run_key,
        loaded_at

    from source

)

select * from renamed
