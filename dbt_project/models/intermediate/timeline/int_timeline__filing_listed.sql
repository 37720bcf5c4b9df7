-- filing_listed: one event per filing per list, dated by the list's publication date (or, when the
-- list carries none, by the day regtrail first saw it). A list known to its month only is dated by the
-- 1st of that month and its window (event_date_earliest .. event_date_latest) spans the whole month.
with

versions as (

    select * from {{ ref('int_timeline__filing_versions') }}

),

final as (

    select
        {{ surrogate_key(["'filing_listed'", 'filing_number', 'list_id']) }} as event_id,
        'filing_listed' as event_type,
        coalesce(published_at, {{ utc_date('observed_at') }}) as event_date,
        case when published_at is not null then published_precision else 'day' end as published_precision,
        case when published_at is not null then 'published' else 'observed' end as date_basis,
        published_at as event_date_earliest,
        coalesce(
            {{ precision_latest('published_at', 'published_precision') }}, {{ utc_date('observed_at') }}
        ) as event_date_latest,
        coalesce(published_at, {{ utc_date('observed_at') }}) as announced_date,
        entity_name,
        cast(null as varchar) as group_id,
        filing_number,
        algorithm_name,
        list_id,
        list_type,
        batch_label,
        'Listed: ' || coalesce(algorithm_name, filing_number) as title,
        coalesce(entity_name, '?') || ' — ' || coalesce(algorithm_name, '?') || ' listed as '
        || filing_number || ' in ' || list_title as description,
        notice_url as source_url,
        document_url,
        observed_at,
        record_event_id
    from versions

)

select * from final
