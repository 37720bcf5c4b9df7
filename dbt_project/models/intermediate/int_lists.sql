-- One row per deep-synthesis or algorithm-recommendation list regtrail knows of, parsed or not: parsed
-- (int_list_publications), announced as an attachment of a notice page (int_announced_lists) or only named
-- by the source configuration (seed announced_lists). Each carries its publication date as precisely as
-- the regulator gave it, whether or not its attachment could be read:
--   parsed       the list record's date (its notice's day, or the labelled month when the notice page
--                predates it, as the algorithm-recommendation page that gains an attachment per batch);
--   notice       the notice page announcing it, by the same rule (published_basis 'notice' or 'label_month');
--   config       the source configuration's date (YYYY-MM-DD, or YYYY-MM for a month) when no notice was read.
-- published_latest is the last day the date covers (the month's last day when month-precise). ordinal is
-- the 第N批 of the notice title, else the list's place among the lists of its type by date.
with

parsed as (

    select * from {{ ref('int_list_publications') }}

),

on_page as (

    select * from {{ ref('int_announced_lists') }}

),

in_config as (

    select * from {{ ref('announced_lists') }}

),

label_months as (

    select
        list_id,
        {{ month_start(
            regex_extract('batch_label', '^(20[0-9]{2})年([0-9]{1,2})月$', 1),
            regex_extract('batch_label', '^(20[0-9]{2})年([0-9]{1,2})月$', 2)
        ) }} as label_month
    from (
        select
            list_id,
            batch_label
        from parsed
        union
        select
            list_id,
            batch_label
        from on_page
        union
        select
            list_id,
            batch_label
        from in_config
    ) as labels

),

ordinals (n, zh) as (

    values
    (1, '一'), (2, '二'), (3, '三'), (4, '四'), (5, '五'), (6, '六'), (7, '七'), (8, '八'), (9, '九'),
    (10, '十'), (11, '十一'), (12, '十二'), (13, '十三'), (14, '十四'), (15, '十五'), (16, '十六'),
    (17, '十七'), (18, '十八'), (19, '十九'), (20, '二十'), (21, '二十一'), (22, '二十二'), (23, '二十三'),
    (24, '二十四'), (25, '二十五')

),

combined as (

    select
        coalesce(parsed.list_id, on_page.list_id, in_config.list_id) as list_id,
        coalesce(parsed.list_type, on_page.list_type, in_config.list_type) as list_type,
        coalesce(parsed.batch_label, on_page.batch_label, in_config.batch_label) as batch_label,
        parsed.list_id is not null as is_parsed,
        on_page.list_id is not null as is_announced_on_page,
        in_config.list_id is not null as is_in_config,
        parsed.published_at as parsed_published_at,
        parsed.published_precision as parsed_precision,
        on_page.notice_published_at,
        {{ safe_cast('in_config.published', 'date') }} as config_day,
        case
            when {{ regex_matches('in_config.published', '^[0-9]{4}-[0-9]{1,2}$') }}
                then {{ safe_cast("in_config.published || '-01'", 'date') }}
        end as config_month,
        coalesce(parsed.notice_url, on_page.notice_url, in_config.notice_url) as notice_url,
        coalesce(parsed.notice_title, on_page.notice_title) as notice_title,
        coalesce(parsed.expected_count, on_page.expected_count, in_config.expected_count) as expected_count,
        parsed.parsed_rows
    from parsed
    full outer join on_page
        on parsed.list_id = on_page.list_id
    full outer join in_config
        on coalesce(parsed.list_id, on_page.list_id) = in_config.list_id

),

dated as (

    select
        combined.*,
        case
            when combined.parsed_published_at is not null then combined.parsed_published_at
            when combined.notice_published_at < label_months.label_month then label_months.label_month
            when combined.notice_published_at is not null then combined.notice_published_at
            else coalesce(combined.config_day, combined.config_month)
        end as published_at,
        case
            when combined.parsed_published_at is not null then combined.parsed_precision
            when combined.notice_published_at < label_months.label_month then 'month'
            when combined.notice_published_at is not null then 'day'
            when combined.config_day is not null then 'day'
            when combined.config_month is not null then 'month'
        end as published_precision,
        case
            when combined.parsed_published_at is not null then 'parsed'
            when combined.notice_published_at < label_months.label_month then 'label_month'
            when combined.notice_published_at is not null then 'notice'
            when coalesce(combined.config_day, combined.config_month) is not null then 'config'
        end as published_basis
    from combined
    left join label_months
        on combined.list_id = label_months.list_id

),

final as (

    select
        list_id,
        list_type,
        batch_label,
        is_parsed,
        is_announced_on_page,
        is_in_config,
        published_at,
        published_precision,
        {{ precision_latest('published_at', 'published_precision') }} as published_latest,
        published_basis,
        notice_url,
        notice_title,
        expected_count,
        parsed_rows,
        cast(coalesce(
            (
                select max(ordinals.n) from ordinals
                where contains(dated.notice_title, '第' || ordinals.zh || '批')
            ),
            row_number() over (
                partition by list_type order by published_at asc nulls last, batch_label asc
            )
        ) as integer) as ordinal
    from dated

)

select * from final
