-- One row per news_article record event: a news page as parsed by one parser version. published_at
-- is the calendar date where the article was published (its own UTC offset); published_time_utc
-- keeps the instant.
with

source as (

    select * from {{ ref('stg_regtrail__record_events') }}
    where record_type = 'news_article'

),

renamed as (

    select
        event_id,
        source,
        coalesce({{ json_text('payload', 'canonical_url') }}, record_key) as article_url,
        {{ json_text('payload', 'url') }} as fetched_url,
        {{ json_text('payload', 'host') }} as host,
        {{ json_text('payload', 'outlet') }} as outlet,
        {{ json_text('payload', 'headline') }} as headline,
        {{ json_text('payload', 'published_time') }} as published_time_text,
        {{ safe_cast(json_text('payload', 'published_utc'), 'timestamptz') }} as published_time_utc,
        {{ json_text('payload', 'date_source') }} as date_source,
        {{ json_text('payload', 'dateline') }} as dateline,
        {{ json_text('payload', 'byline') }} as byline,
        {{ json_text('payload', 'language') }} as language,
        {{ json_text('payload', 'body') }} as body,
        {{ json_text('payload', 'feed_url') }} as feed_url,
        document_url,
        document_digest,
        published_at,
        published_precision,
        observed_at,
        parser,
        parser_version,
        run_key

    from source

)

select * from renamed
