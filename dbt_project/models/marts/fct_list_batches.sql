-- One row per list (batch) the regulator announced: the rows the parser found against what the
-- attachment holds and what the regulator says it published. A list is announced by its notice
-- page or, when the crawl tried that page and could not read it, by the source's configuration (seed
-- announced_lists, written from scrapers/*/source.yml). A list not parsed keeps a row with its state
-- and the last outcome that explains it:
--   not_available  the regulator serves no file (HTTP 404/410);
--   failed         the notice page or the attachment failed (last error), the attachment was never
--                  fetched, or it could not be parsed (the parser's error).
-- Every list is dated (int_lists), parsed or not: by its list record, else by the notice page announcing
-- it (the labelled month when the page predates it), else by the source configuration; published_latest
-- is the last day a month-precise date stands for.
with

lists as (

    select * from {{ ref('int_list_publications') }}

),

announced_on_pages as (

    select * from {{ ref('int_announced_lists') }}

),

announced_in_config as (

    select * from {{ ref('announced_lists') }}

),

-- The latest attempt at each URL: its outcome, not an older failure, explains a list's state.
last_attempts as (

    select
        url,
        is_ok,
        status,
        error_kind,
        error
    from {{ ref('stg_regtrail__fetch_events') }}
    qualify row_number() over (partition by url order by started_at desc, attempt desc, event_id asc) = 1

),

last_parse_failures as (

    select
        document_url,
        case
            when detected_type is not null then error || ' (detected type: ' || detected_type || ')'
            else error
        end as error
    from {{ ref('stg_regtrail__parse_failures') }}
    qualify row_number() over (partition by document_url order by observed_at desc, event_id asc) = 1

),

parsed as (

    select
        list_id,
        list_type,
        batch_label,
        title,
        published_at,
        published_precision,
        row_count,
        expected_count,
        parsed_rows,
        distinct_filings,
        parsed_rows - distinct_filings as duplicate_rows,
        coalesce(
            parsed_rows = row_count
            and (expected_count is null or parsed_rows = expected_count),
            false
        ) as reconciled,
        'parsed' as status,
        cast(null as varchar) as failure_kind,
        cast(null as varchar) as failure,
        unknown_column_count,
        unknown_columns,
        leftover_row_count,
        notice_url,
        attachment_url,
        document_digest,
        parser_version,
        first_observed_at,
        last_observed_at
    from lists

),

announced as (

    select
        coalesce(on_page.list_id, config.list_id) as list_id,
        coalesce(on_page.list_type, config.list_type) as list_type,
        coalesce(on_page.batch_label, config.batch_label) as batch_label,
        coalesce(on_page.expected_count, config.expected_count) as expected_count,
        coalesce(on_page.notice_url, config.notice_url) as notice_url,
        on_page.attachment_url,
        on_page.first_announced_at
    from announced_on_pages as on_page
    full outer join announced_in_config as config
        on on_page.list_id = config.list_id

),

not_parsed as (

    select
        announced.*,
        case
            when attachment.status in (404, 410) then 'not_available'
            else 'failed'
        end as status,
        case
            when announced.attachment_url is null then coalesce(notice.error_kind, 'notice_not_parsed')
            when attachment.url is null then 'not_fetched'
            when not attachment.is_ok then attachment.error_kind
            when parse_failure.document_url is not null then 'parse_failure'
            else 'not_parsed'
        end as failure_kind,
        case
            when announced.attachment_url is null and not notice.is_ok
                then 'notice page failed: ' || coalesce(notice.error, 'HTTP ' || notice.status)
            when announced.attachment_url is null
                then 'notice page fetched, but not parsed (see fct_fetch_failures)'
            when attachment.url is null then 'attachment announced but never fetched'
            when not attachment.is_ok then coalesce(attachment.error, 'HTTP ' || attachment.status)
            when parse_failure.document_url is not null then parse_failure.error
            else 'attachment fetched, but no list was parsed from it'
        end as failure
    from announced
    left join last_attempts as notice
        on announced.notice_url = notice.url
    left join last_attempts as attachment
        on announced.attachment_url = attachment.url
    left join last_parse_failures as parse_failure
        on announced.attachment_url = parse_failure.document_url
    where announced.list_id not in (select lists.list_id from lists)
        -- a list only the configuration names counts when the crawl tried its notice page and got
        -- nothing from it (no notice record, no list)
        and (
            announced.attachment_url is not null
            or (
                notice.url is not null
                and announced.notice_url not in (select announced_on_pages.notice_url from announced_on_pages)
                and announced.notice_url not in (
                    select lists.notice_url from lists
                    where lists.notice_url is not null
                )
            )
        )

),

missing as (

    select
        list_id,
        list_type,
        batch_label,
        cast(null as varchar) as title,
        cast(null as date) as published_at,
        cast(null as varchar) as published_precision,
        cast(null as integer) as row_count,
        expected_count,
        cast(null as bigint) as parsed_rows,
        cast(null as bigint) as distinct_filings,
        cast(null as bigint) as duplicate_rows,
        false as reconciled,
        status,
        failure_kind,
        failure,
        cast(null as integer) as unknown_column_count,
        cast(null as varchar) as unknown_columns,
        cast(null as integer) as leftover_row_count,
        notice_url,
        attachment_url,
        cast(null as varchar) as document_digest,
        cast(null as varchar) as parser_version,
        -- known from its notice: first fetch of a notice version announcing it (the same on every rerun); no
        -- attempt time here, so the mart stays identical across reruns (see fct_fetch_failures); NULL for a
        -- list only the configuration announces (its notice page was never read)
        first_announced_at as first_observed_at,
        cast(null as timestamp with time zone) as last_observed_at
    from not_parsed

),

dates as (

    select * from {{ ref('int_lists') }}

),

unioned as (

    select * from parsed
    union all by name
    select * from missing

),

final as (

    select
        unioned.* exclude (published_at, published_precision),
        coalesce(unioned.published_at, dates.published_at) as published_at,
        coalesce(unioned.published_precision, dates.published_precision) as published_precision,
        dates.published_latest,
        dates.published_basis
    from unioned
    left join dates
        on unioned.list_id = dates.list_id

)

select * from final
