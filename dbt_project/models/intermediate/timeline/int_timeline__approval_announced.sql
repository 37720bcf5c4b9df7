-- approval_announced: one event per generative-AI 备案号/上线编号, dated by 备案时间/登记时间 where
-- the list gives it, else by the list.
with

approvals as (

    select * from {{ ref('int_genai_approvals') }}

),

final as (

    select
        {{ surrogate_key(["'approval_announced'", 'genai_number', 'list_id']) }} as event_id,
        'approval_announced' as event_type,
        approved_date as event_date,
        date_precision as published_precision,
        date_basis,
        approved_date as event_date_earliest,
        approved_date as event_date_latest,
        entity_name,
        cast(null as varchar) as group_id,
        genai_number as filing_number,
        model_name as algorithm_name,
        list_id,
        'genai_service' as list_type,
        period as batch_label,
        case genai_kind
            when 'filing' then 'Generative AI service filed: '
            else 'Generative AI application registered: '
        end || coalesce(model_name, genai_number) as title,
        coalesce(entity_name, '?') || ' — ' || coalesce(model_name, '?')
        || case genai_kind when 'filing' then ' filed with the CAC as ' else ' registered as ' end
        || genai_number || ' (' || coalesce(region, '?') || '), listed in ' || list_id || '.' as description,
        notice_url as source_url,
        document_url,
        observed_at,
        record_event_id
    from approvals

)

select * from final
