-- news_reported: one event per news article per corporate group it names, dated by the article
-- (else by the day regtrail fetched it). An article reporting a published list carries that list
-- (int_news_list_links: list_id, list_type, batch_label); such an article naming no group still has
-- one event, without a group, so the list's news is complete. source_url is the URL regtrail fetched and the
-- outlet the source config's (int_news_articles), never what the page claims about itself.
with

mentions as (

    select * from {{ ref('int_news_entity_mentions') }}

),

links as (

    select * from {{ ref('int_news_list_links') }}

),

articles as (

    select * from {{ ref('int_news_articles') }}

),

unnamed as (

    select
        {{ surrogate_key(["'news_reported'", 'articles.article_url', "'list'"]) }} as event_id,
        'news_reported' as event_type,
        coalesce(articles.published_at, {{ utc_date('articles.observed_at') }}) as event_date,
        'day' as published_precision,
        case when articles.published_at is not null then 'published' else 'observed' end as date_basis,
        articles.published_at as event_date_earliest,
        coalesce(articles.published_at, {{ utc_date('articles.observed_at') }}) as event_date_latest,
        coalesce(articles.published_at, {{ utc_date('articles.observed_at') }}) as announced_date,
        cast(null as varchar) as entity_name,
        cast(null as varchar) as group_id,
        cast(null as varchar) as filing_number,
        cast(null as varchar) as algorithm_name,
        links.list_id,
        links.list_type,
        links.batch_label,
        'News: ' || articles.headline as title,
        coalesce(articles.outlet, '?') || ' reported “' || articles.headline || '”. It reports the list '
        || links.list_id || '.' as description,
        coalesce(articles.fetched_url, articles.article_url) as source_url,
        articles.article_url as document_url,
        articles.observed_at,
        articles.record_event_id
    from links
    inner join articles
        on links.article_url = articles.article_url
    where links.article_url not in (select named.article_url from mentions as named)

),

final as (

    select
        {{ surrogate_key(["'news_reported'", 'mentions.article_url', 'mentions.group_id']) }} as event_id,
        'news_reported' as event_type,
        coalesce(mentions.published_at, {{ utc_date('mentions.observed_at') }}) as event_date,
        'day' as published_precision,
        case when mentions.published_at is not null then 'published' else 'observed' end as date_basis,
        mentions.published_at as event_date_earliest,
        coalesce(mentions.published_at, {{ utc_date('mentions.observed_at') }}) as event_date_latest,
        coalesce(mentions.published_at, {{ utc_date('mentions.observed_at') }}) as announced_date,
        cast(null as varchar) as entity_name,
        mentions.group_id,
        cast(null as varchar) as filing_number,
        cast(null as varchar) as algorithm_name,
        links.list_id,
        links.list_type,
        links.batch_label,
        'News: ' || mentions.headline as title,
        coalesce(mentions.outlet, '?') || ' reported “' || mentions.headline || '” (names ' || mentions.group_name_en
        || ' as '
        || {{ string_list_join('mentions.matched_aliases', ', ') }} || ').'
        || coalesce(' It reports the list ' || links.list_id || '.', '') as description,
        coalesce(mentions.fetched_url, mentions.article_url) as source_url,
        mentions.article_url as document_url,
        mentions.observed_at,
        mentions.record_event_id
    from mentions
    left join links
        on mentions.article_url = links.article_url
    union all
    select * from unnamed

)

select * from final
