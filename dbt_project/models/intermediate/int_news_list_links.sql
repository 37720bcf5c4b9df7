-- One row per news article that reports a published list: the list it reports. An article is tied to a
-- list of a type it names (深度合成 / deep synthesis, 算法推荐 / recommendation algorithm) when it
-- appeared between the list's publication and 14 days after the last day its date stands for (the month's
-- last day when the list is dated by its month only) and it says which batch: the list's ordinal
-- (第十四批, "second list", "7th batch": the 第N批 of the notice's title, else the list's place among the
-- lists of its type by date) or its number of filings ("110 applications"). The lists are every list
-- regtrail knows of, parsed or not (int_lists: a list whose attachment or notice page could not be read is
-- dated by its notice or the source configuration). When several lists qualify, the one with more
-- evidence, then the nearest, wins.
with

articles as (

    select
        article_url,
        published_at,
        observed_at,
        coalesce(headline, '') || ' ' || coalesce(body, '') as text
    from {{ ref('int_news_articles') }}

),

known_lists as (

    select * from {{ ref('int_lists') }}

),

ordinals (n, zh, en) as (

    values
    (1, '一', 'first'), (2, '二', 'second'), (3, '三', 'third'), (4, '四', 'fourth'), (5, '五', 'fifth'),
    (6, '六', 'sixth'), (7, '七', 'seventh'), (8, '八', 'eighth'), (9, '九', 'ninth'), (10, '十', 'tenth'),
    (11, '十一', 'eleventh'), (12, '十二', 'twelfth'), (13, '十三', 'thirteenth'),
    (14, '十四', 'fourteenth'), (15, '十五', 'fifteenth'), (16, '十六', 'sixteenth'),
    (17, '十七', 'seventeenth'), (18, '十八', 'eighteenth'), (19, '十九', 'nineteenth'),
    (20, '二十', 'twentieth'), (21, '二十一', 'twenty-first'), (22, '二十二', 'twenty-second'),
    (23, '二十三', 'twenty-third'), (24, '二十四', 'twenty-fourth'), (25, '二十五', 'twenty-fifth')

),

type_words (list_type, pattern) as (

    values
    ('deep_synthesis', '(?i)(deep[- ]synthesis|deepfake|深度合成)'),
    ('algo_recommendation', '(?i)(recommendation algorithm|algorithm recommendation|算法推荐|互联网信息服务算法)')

),

lists as (

    select
        list_id,
        list_type,
        batch_label,
        published_at as list_date,
        published_latest as list_date_latest,
        coalesce(expected_count, parsed_rows) as expected_count,
        ordinal
    from known_lists

),

candidates as (

    select
        articles.article_url,
        lists.list_id,
        lists.list_type,
        lists.batch_label,
        lists.list_date,
        abs(datediff('day', lists.list_date, coalesce(articles.published_at, {{ utc_date('articles.observed_at') }})))
            as days_apart,
        exists(
            select 1 from ordinals
            where ordinals.n = lists.ordinal
                and (
                    contains(articles.text, '第' || ordinals.zh || '批')
                    or {{ regex_matches_dynamic('articles.text',
                        "'(?i)\\b(' || ordinals.en || '|' || ordinals.n || '(st|nd|rd|th))\\b[^.]{0,40}\\b(list|batch)'") }}
                )
        ) as ordinal_matches,
        lists.expected_count is not null
        and {{ regex_matches_dynamic('articles.text', "'(^|[^0-9])' || lists.expected_count || '([^0-9]|$)'") }}
            as count_matches
    from articles
    inner join type_words
        on {{ regex_matches_dynamic('articles.text', 'type_words.pattern') }}
    inner join lists
        on type_words.list_type = lists.list_type
            and lists.list_date is not null
            and coalesce(articles.published_at, {{ utc_date('articles.observed_at') }})
            between lists.list_date
            and lists.list_date_latest + 14

),

final as (

    select
        article_url,
        list_id,
        list_type,
        batch_label,
        case
            when ordinal_matches and count_matches then 'ordinal and count'
            when ordinal_matches then 'ordinal'
            else 'count'
        end as evidence,
        days_apart
    from candidates
    where ordinal_matches or count_matches
    qualify row_number() over (
            partition by article_url
            order by
                (cast(ordinal_matches as integer) + cast(count_matches as integer)) desc,
                days_apart asc,
                list_id asc
        ) = 1

)

select * from final
