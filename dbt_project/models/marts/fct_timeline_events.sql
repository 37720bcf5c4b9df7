-- One row per event on the timeline. Events come from the filing history:
--   filing_listed     one per filing per list, dated by the list's publication date;
--   filing_changed    a list shows changed fields, or a new 备注 describing a change;
--   filing_cancelled  the first list that marks the filing 已注销.
-- approval_announced and news_reported are reserved for record types not yet in the log.
-- Dates: `date_basis` says where event_date comes from: 'published' (the regulator's date for the
-- list), 'remark' (a month written in 备注, e.g. 2024年8月，…), or 'observed' (the list carries no
-- date for the change, so the date regtrail first saw it: the change happened on or before it).
with

versions as (

    select * from {{ ref('int_filing_versions') }}

),

lists as (

    select * from {{ ref('int_list_publications') }}

),

enriched as (

    select
        versions.*,
        coalesce(lists.title, versions.list_id) as list_title,
        lists.notice_url,
        {{ string_list_join('versions.changed_fields', ', ') }} as changed_fields_text
    from versions
    left join lists
        on versions.list_id = lists.list_id

),

listed as (

    select
        'filing_listed' as event_type,
        coalesce(published_at, {{ utc_date('observed_at') }}) as event_date,
        case when published_at is not null then published_precision else 'day' end as event_precision,
        case when published_at is not null then 'published' else 'observed' end as date_basis,
        'Listed: ' || coalesce(algorithm_name, filing_number) as title,
        coalesce(entity_name, '?') || ' — ' || coalesce(algorithm_name, '?') || ' listed as '
            || filing_number || ' in ' || list_title as description,
        *
    from enriched

),

changed as (

    select
        'filing_changed' as event_type,
        case
            when remark_month is not null and is_new_remark and has_change_remark then remark_month
            when {{ list_length('changed_fields') }} > 0 and published_at is not null then published_at
            else {{ utc_date('observed_at') }}
        end as event_date,
        case
            when remark_month is not null and is_new_remark and has_change_remark then 'month'
            when {{ list_length('changed_fields') }} > 0 and published_at is not null then published_precision
            else 'day'
        end as event_precision,
        case
            when remark_month is not null and is_new_remark and has_change_remark then 'remark'
            when {{ list_length('changed_fields') }} > 0 and published_at is not null then 'published'
            else 'observed'
        end as date_basis,
        'Changed: ' || coalesce(algorithm_name, filing_number) as title,
        concat_ws(' ',
            filing_number || ' in ' || list_title || ':',
            case
                when {{ list_length('changed_fields') }} > 0
                    then 'changed ' || changed_fields_text || ' since ' || previous_list_id || '.'
            end,
            case when has_change_remark and is_new_remark then '备注: ' || remark end
        ) as description,
        *
    from enriched
    where {{ list_length('changed_fields') }} > 0
        or (has_change_remark and is_new_remark)

),

first_cancellation as (

    select filing_number, min(version_number) as version_number
    from enriched
    where is_cancelled
    group by filing_number

),

cancelled as (

    select
        'filing_cancelled' as event_type,
        {{ utc_date('observed_at') }} as event_date,
        'day' as event_precision,
        'observed' as date_basis,
        'Cancelled: ' || coalesce(enriched.algorithm_name, enriched.filing_number) as title,
        enriched.filing_number || ' marked 已注销 in ' || enriched.list_title
            || ' (the list gives no cancellation date; first observed on this date).' as description,
        enriched.*
    from enriched
    inner join first_cancellation
        on enriched.filing_number = first_cancellation.filing_number
        and enriched.version_number = first_cancellation.version_number

),

unioned as (

    select * from listed
    union all
    select * from changed
    union all
    select * from cancelled

),

final as (

    select
        {{ surrogate_key(['event_type', 'filing_number', 'list_id']) }} as event_id,
        event_date,
        event_type,
        entity_name,
        filing_number,
        algorithm_name,
        list_id,
        list_type,
        batch_label,
        title,
        description,
        notice_url as source_url,
        document_url,
        observed_at,
        event_precision as published_precision,
        date_basis,
        record_event_id

    from unioned

)

select * from final
