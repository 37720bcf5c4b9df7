-- filing_changed: a list shows changed fields (old -> new values), or a new 备注 describing a change.
-- Dated as int_filing_versions says (change_date): by the month a new 备注 names ('remark'), else by
-- the publication of the list that first shows the change ('published'; it took effect on or before
-- it, and no earlier than the previous list showing the filing: event_date_earliest/_latest); only a
-- list without any date is dated by the day regtrail first saw it ('observed').
with

versions as (

    select * from {{ ref('int_timeline__filing_versions') }}
    where {{ list_length('changed_fields') }} > 0
        or (has_change_remark and is_new_remark)

),

final as (

    select
        {{ surrogate_key(["'filing_changed'", 'filing_number', 'list_id']) }} as event_id,
        'filing_changed' as event_type,
        change_date as event_date,
        change_precision as published_precision,
        change_date_basis as date_basis,
        valid_from_earliest as event_date_earliest,
        valid_from_latest as event_date_latest,
        coalesce(published_at, {{ utc_date('observed_at') }}) as announced_date,
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
    from versions

)

select * from final
