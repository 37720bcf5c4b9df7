-- filing_changed: a list shows changed fields (old -> new values), or a new 备注 describing a change.
-- Dated by the month the 备注 gives ('remark'), else by the list's publication ('published') when
-- fields changed, else by the day regtrail first saw it ('observed': on or before that day).
with

versions as (

    select * from {{ ref('int_timeline__filing_versions') }}
    where {{ list_length('changed_fields') }} > 0
        or (has_change_remark and is_new_remark)

),

dated as (

    select
        *,
        case
            when remark_month is not null and is_new_remark and has_change_remark then 'remark'
            when {{ list_length('changed_fields') }} > 0 and published_at is not null then 'published'
            else 'observed'
        end as date_basis
    from versions

),

final as (

    select
        {{ surrogate_key(["'filing_changed'", 'filing_number', 'list_id']) }} as event_id,
        'filing_changed' as event_type,
        case date_basis
            when 'remark' then remark_month
            when 'published' then published_at
            else {{ utc_date('observed_at') }}
        end as event_date,
        case date_basis
            when 'remark' then 'month'
            when 'published' then published_precision
            else 'day'
        end as published_precision,
        date_basis,
        entity_name,
        cast(null as varchar) as group_id,
        filing_number,
        algorithm_name,
        list_id,
        list_type,
        batch_label,
        'Changed: ' || coalesce(algorithm_name, filing_number) as title,
        concat_ws(
            ' ',
            filing_number || ' in ' || list_title || ':',
            case
                when {{ list_length('changed_fields') }} > 0
                    then 'changed ' || changed_fields_text || ' since ' || previous_list_id || ':'
            end,
            nullif(
                concat_ws(
                    '; ',
                    {{ timeline_value_change('algorithm_name') }},
                    {{ timeline_value_change('entity_name') }},
                    {{ timeline_value_change('products') }},
                    {{ timeline_value_change('purpose') }}
                ),
                ''
            ) || (case when {{ list_length('changed_fields') }} > 0 then '.' else '' end),
            case when has_change_remark and is_new_remark then '备注: ' || remark end
        ) as description,
        notice_url as source_url,
        document_url,
        observed_at,
        record_event_id
    from dated

)

select * from final
