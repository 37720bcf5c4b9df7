-- approval_announced: one event per generative-AI 备案号/上线编号 (filed, registered or on-device). event_date
-- is the approval itself: 备案时间/登记时间 where the list gives it, else the list's publication;
-- announced_date is when the regulator made it public (the publication of the first list showing it, never
-- before the approval). The description names both, a late (补登) registration, the quirks of the printed
-- row and a correction (model and organisation printed swapped).
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
        announced_date,
        entity_name,
        cast(null as varchar) as group_id,
        genai_number as filing_number,
        model_name as algorithm_name,
        list_id,
        'genai_service' as list_type,
        period as batch_label,
        case genai_kind
            when 'filing' then 'Generative AI service filed: '
            when 'ondevice' then 'On-device generative AI service filed: '
            else 'Generative AI application registered: '
        end || coalesce(model_name, genai_number) as title,
        coalesce(entity_name, '?') || ' — ' || coalesce(model_name, '?')
        || case genai_kind when 'registration' then ' registered as ' else ' filed with the CAC as ' end
        || genai_number || ' (' || coalesce(region, '?') || coalesce(', 适用场景 ' || scenario, '')
        || '), approved ' || cast(approved_date as varchar) || ', announced in ' || list_id || ' ('
        || case
            when announced_precision = 'month' and announced_latest > announced_date
                then 'published between ' || cast(announced_date as varchar)
                    || ' and ' || cast(announced_latest as varchar)
            else 'published ' || cast(announced_date as varchar)
        end || ').'
        || case when is_late_registration then ' Late registration (补登).' else '' end
        || case
            when {{ list_length('quirks') }} > 0
                then ' As printed: ' || {{ string_list_join('quirks', ', ') }} || '.'
            else ''
        end
        || case
            when is_corrected
                then ' Corrected: the list prints the organisation “' || coalesce(model_name_raw, '')
                    || '” as the model and the model “' || coalesce(entity_name_raw, '') || '” as the organisation.'
            else ''
        end as description,
        notice_url as source_url,
        document_url,
        observed_at,
        record_event_id
    from approvals

)

select * from final
