-- One row per (article, corporate group) the article names, matched on the headline and body against
-- every name of the group (int_entity_aliases: its English and Chinese names, and the aliases of the
-- group and of its entities): ASCII names case-insensitively on word boundaries, others by substring.
with

articles as (

    select * from {{ ref('int_news_articles') }}

),

entries as (

    select * from {{ ref('int_entity_aliases') }}

),

groups as (

    select distinct
        group_id,
        group_name_en,
        group_name_zh
    from entries

),

names as (

    select
        group_id,
        group_name_en as alias
    from entries
    union
    select
        group_id,
        group_name_zh
    from entries
    union
    select
        group_id,
        unnest(aliases) as alias
    from entries

),

-- one row per (group, name) to look for
aliases as (

    select distinct
        names.group_id,
        groups.group_name_en,
        groups.group_name_zh,
        trim(names.alias) as alias,
        {{ regex_matches('trim(names.alias)', '^[\\x20-\\x7E]+$') }} as is_ascii
    from names
    inner join groups
        on names.group_id = groups.group_id
    where nullif(trim(names.alias), '') is not null

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
