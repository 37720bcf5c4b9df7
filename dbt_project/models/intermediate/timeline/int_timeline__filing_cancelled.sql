-- filing_cancelled: the earliest cancellation notice naming the filing (dated by the notice), else the
-- first list that marks the filing 已注销 (the lists give no cancellation date: dated by that list's
-- publication, on or before which it happened, after the previous list showing the filing).
with

versions as (

    select * from {{ ref('int_timeline__filing_versions') }}

),

notice_cancellations as (

    select * from {{ ref('int_filing_cancellations') }}

),

first_marked_cancelled as (

    select
        versions.filing_number,
        min(versions.version_number) as version_number
    from versions
    where
        versions.is_cancelled
        and versions.filing_number not in (select notice_cancellations.filing_number from notice_cancellations)
    group by versions.filing_number

),

listed_cancelled as (

    select
        {{ surrogate_key(["'filing_cancelled'", 'versions.filing_number', 'versions.list_id']) }} as event_id,
        'filing_cancelled' as event_type,
        versions.change_date as event_date,
        versions.change_precision as published_precision,
        versions.change_date_basis as date_basis,
        versions.valid_from_earliest as event_date_earliest,
        versions.valid_from_latest as event_date_latest,
        coalesce(versions.published_at, {{ utc_date('versions.observed_at') }}) as announced_date,
        versions.entity_name,
        cast(null as varchar) as group_id,
        versions.filing_number,
        versions.algorithm_name,
        versions.list_id,
        versions.list_type,
        versions.batch_label,
        'Cancelled: ' || coalesce(versions.algorithm_name, versions.filing_number) as title,
        versions.filing_number || ' marked 已注销 in ' || versions.list_title
        || coalesce(
            ' (the list gives no cancellation date: on or before its publication, after ' || versions.previous_list_id
            || ' of ' || cast(versions.previous_published_at as varchar) || ').',
            ' (the list gives no cancellation date: on or before its publication).'
        ) as description,
        versions.notice_url as source_url,
        versions.document_url,
        versions.observed_at,
        versions.record_event_id
    from versions
    inner join first_marked_cancelled
        on
            versions.filing_number = first_marked_cancelled.filing_number
            and versions.version_number = first_marked_cancelled.version_number

),

latest_versions as (

    select * from versions
    where is_latest

),

notice_cancelled as (

    select
        {{ surrogate_key([
            "'filing_cancelled'", 'notice_cancellations.filing_number', 'notice_cancellations.notice_id'
        ]) }} as event_id,
        'filing_cancelled' as event_type,
        notice_cancellations.cancelled_date as event_date,
        'day' as published_precision,
        notice_cancellations.date_basis,
        notice_cancellations.cancelled_date as event_date_earliest,
        notice_cancellations.cancelled_date as event_date_latest,
        notice_cancellations.cancelled_date as announced_date,
        coalesce(latest_versions.entity_name, notice_cancellations.entity_name) as entity_name,
        cast(null as varchar) as group_id,
        notice_cancellations.filing_number,
        coalesce(notice_cancellations.algorithm_name, latest_versions.algorithm_name) as algorithm_name,
        latest_versions.list_id,
        latest_versions.list_type,
        latest_versions.batch_label,
        'Cancelled: '
        || coalesce(notice_cancellations.algorithm_name, notice_cancellations.filing_number) as title,
        notice_cancellations.filing_number || ' cancelled by the notice '
        || coalesce(notice_cancellations.notice_title, '')
        || coalesce(' (注销时间 ' || notice_cancellations.cancelled_text || ')', '') || '.' as description,
        notice_cancellations.document_url as source_url,
        notice_cancellations.document_url,
        notice_cancellations.observed_at,
        notice_cancellations.record_event_id
    from notice_cancellations
    left join latest_versions
        on notice_cancellations.filing_number = latest_versions.filing_number

),

final as (

    select * from listed_cancelled
    union all
    select * from notice_cancelled

)

select * from final
