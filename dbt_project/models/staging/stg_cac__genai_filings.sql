-- One row per genai_filing / genai_registration / genai_ondevice record event: a row of a generative-AI
-- service list (备案: a model filed with the CAC; 登记: an application registered locally; ondevice: an
-- on-device 手机端侧 service filed with the CAC), as parsed by one parser version. filed_date is
-- 备案时间/登记时间 where the list gives it; quirks name what is irregular about the row as printed.
with

source as (

    select * from {{ ref('stg_regtrail__record_events') }}
    where record_type in ('genai_filing', 'genai_registration', 'genai_ondevice')

),

renamed as (

    select
        event_id,
        source,
        case record_type
            when 'genai_filing' then 'filing'
            when 'genai_ondevice' then 'ondevice'
            else 'registration'
        end as genai_kind,
        coalesce(nullif(trim({{ json_text('payload', 'number') }}), ''), record_key) as genai_number,
        nullif(trim({{ json_text('payload', 'region') }}), '') as region,
        nullif(trim({{ json_text('payload', 'model_name') }}), '') as model_name,
        nullif(trim({{ json_text('payload', 'entity_name') }}), '') as entity_name,
        {{ safe_cast(json_text('payload', 'filed_date'), 'date') }} as filed_date,
        nullif(trim({{ json_text('payload', 'filed_text') }}), '') as filed_text,
        nullif(trim({{ json_text('payload', 'seq') }}), '') as seq,
        nullif(trim({{ json_text('payload', 'scenario') }}), '') as scenario,
        coalesce({{ json_string_list('payload', 'quirks') }}, {{ empty_string_list() }}) as quirks,
        coalesce({{ json_bool('payload', 'synthetic') }}, false) as is_synthetic,
        cast({{ json_int('payload', 'table_index') }} as integer) as table_index,
        cast({{ json_int('payload', 'row_index') }} as integer) as row_index,
        {{ json_text('payload', 'list_id') }} as list_id,
        {{ json_text('payload', 'period') }} as period,
        coalesce({{ json_bool('payload', 'is_summary') }}, false) as is_summary,
        {{ json_text('payload', 'notice_url') }} as notice_url,
        document_url,
        document_digest,
        published_at,
        published_precision,
        observed_at,
        parser,
        parser_version,
        fetch_event_id,
        run_key

    from source

)

select * from renamed
