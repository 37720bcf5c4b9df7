-- news_reported: one event per news article per corporate group it names, dated by the article
-- (else by the day regtrail fetched it).
with

mentions as (

    select * from {{ ref('int_news_entity_mentions') }}

),

final as (

    select
        {{ surrogate_key(["'news_reported'", 'article_url', 'group_id']) }} as event_id,
        'news_reported' as event_type,
        coalesce(published_at, {{ utc_date('observed_at') }}) as event_date,
        'day' as published_precision,
        case when published_at is not null then 'published' else 'observed' end as date_basis,
        published_at as event_date_earliest,
        coalesce(published_at, {{ utc_date('observed_at') }}) as event_date_latest,
        cast(null as varchar) as entity_name,
        group_id,
        cast(null as varchar) as filing_number,
        cast(null as varchar) as algorithm_name,
        cast(null as varchar) as list_id,
        cast(null as varchar) as list_type,
        cast(null as varchar) as batch_label,
        'News: ' || headline as title,
        coalesce(outlet, '?') || ' reported “' || headline || '” (names ' || group_name_en || ' as '
        || {{ string_list_join('matched_aliases', ', ') }} || ').' as description,
        article_url as source_url,
        article_url as document_url,
        observed_at,
        record_event_id
    from mentions

)

select * from final
