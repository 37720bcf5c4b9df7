-- One row per news article (canonical URL): the latest observed parse, whichever source (news feeds
-- or ingest) fetched it.
with

articles as (

    select * from {{ ref('stg_news__articles') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by article_url order by observed_at desc, parser_version desc, event_id asc
        ) as recency,
        min(observed_at) over (partition by article_url) as first_observed_at
    from articles

),

final as (

    select
        article_url,
        -- provenance is ours: the URL fetched, and the outlet the source config names for its host (else the host)
        fetched_url,
        host,
        coalesce(outlet, host) as outlet,
        headline,
        published_at,
        published_time_utc,
        published_time_text,
        date_source,
        dateline,
        byline,
        body,
        first_observed_at,
        observed_at,
        document_url,
        event_id as record_event_id

    from ranked
    where recency = 1

)

select * from final
