-- One row per list (batch) the regulator published: the rows the parser found against what the
-- attachment holds and what the regulator says it published. Lists announced on a notice page
-- whose attachment could not be fetched or parsed are kept with status 'not_available' and the
-- latest failure, so a missing batch is visible rather than silently absent.
with

lists as (

    select * from {{ ref('int_list_publications') }}

),

announced as (

    select * from {{ ref('int_announced_lists') }}

),

failures as (

    select
        url,
        error_kind,
        error,
        started_at
    from {{ ref('stg_regtrail__fetch_events') }}
    where not is_ok
    qualify row_number() over (partition by url order by started_at desc, event_id asc) = 1

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
        notice_url,
        attachment_url,
        document_digest,
        parser_version,
        first_observed_at,
        last_observed_at
    from lists

),

missing as (

    select
        announced.list_id,
        announced.list_type,
        announced.batch_label,
        cast(null as varchar) as title,
        cast(null as date) as published_at,
        cast(null as varchar) as published_precision,
        cast(null as integer) as row_count,
        announced.expected_count,
        cast(null as bigint) as parsed_rows,
        cast(null as bigint) as distinct_filings,
        cast(null as bigint) as duplicate_rows,
        false as reconciled,
        'not_available' as status,
        failures.error_kind as failure_kind,
        coalesce(failures.error, 'attachment announced but never fetched') as failure,
        announced.notice_url,
        announced.attachment_url,
        cast(null as varchar) as document_digest,
        cast(null as varchar) as parser_version,
        -- known from its notice: first fetch of a notice version announcing it (the same on every rerun); no
        -- attempt time here, so the mart stays identical across reruns (see fct_fetch_failures)
        announced.first_announced_at as first_observed_at,
        cast(null as timestamp with time zone) as last_observed_at
    from announced
    left join failures on announced.attachment_url = failures.url
    where announced.list_id not in (select lists.list_id from lists)

),

final as (

    select * from parsed
    union all by name
    select * from missing

)

select * from final
