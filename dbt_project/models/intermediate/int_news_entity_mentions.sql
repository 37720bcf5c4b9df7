-- One row per (article, corporate group) the article names, matched against the alias seed on the
-- headline and body: English aliases case-insensitively on word boundaries, Chinese by substring.
with

articles as (

    select * from {{ ref('int_news_articles') }}

),

aliases as (

    select * from {{ ref('int_entity_aliases') }}

),

matches as (

    select
        articles.article_url,
        aliases.group_id,
        aliases.group_name_en,
        aliases.group_name_zh,
        aliases.alias
    from articles
    inner join aliases
        on case
                when aliases.is_ascii then {{ regex_matches_dynamic(
                "coalesce(articles.headline, '') || ' ' || coalesce(articles.body, '')",
                "'(?i)\\b' || " ~ regex_escape('aliases.alias') ~ " || '\\b'") }}
                else contains(coalesce(articles.headline, '') || ' ' || coalesce(articles.body, ''), aliases.alias)
            end

),

final as (

    select
        {{ surrogate_key(['matches.article_url', 'matches.group_id']) }} as mention_id,
        matches.article_url,
        articles.fetched_url,
        matches.group_id,
        matches.group_name_en,
        matches.group_name_zh,
        {{ string_list_agg('matches.alias') }} as matched_aliases,
        articles.published_at,
        articles.headline,
        articles.outlet,
        articles.observed_at,
        articles.record_event_id

    from matches
    inner join articles
        on matches.article_url = articles.article_url
    group by all

)

select * from final
