-- Everything that went wrong getting documents: failed HTTP attempts and documents no parser could
-- read. `resolved` says whether a later attempt (fetch) or the current parser (parse) succeeded.
with

fetches as (

    select * from {{ ref('stg_regtrail__fetch_events') }}

),

parse_failures as (

    select * from {{ ref('stg_regtrail__parse_failures') }}

),

document_versions as (

    select * from {{ ref('int_document_parser_versions') }}

),

failed_fetches as (

    select
        failed.event_id as failure_id,
        'fetch' as stage,
        failed.source,
        failed.url,
        failed.error_kind,
        failed.error,
        failed.started_at,
        failed.status,
        failed.attempt,
        failed.purpose,
        failed.run_key,
        cast(null as varchar) as parser_version,
        exists(
            select 1
            from fetches as later
            where later.url = failed.url
                and later.is_ok
                and later.started_at > failed.started_at
        ) as resolved

    from fetches as failed
    where not failed.is_ok

),

failed_parses as (

    select
        parse_failures.event_id as failure_id,
        'parse' as stage,
        parse_failures.source,
        parse_failures.document_url as url,
        'parse_failure' as error_kind,
        case
            when parse_failures.detected_type is not null
                then parse_failures.error || ' (detected type: ' || parse_failures.detected_type || ')'
            else parse_failures.error
        end as error,
        parse_failures.observed_at as started_at,
        cast(null as integer) as status,
        cast(null as integer) as attempt,
        cast(null as varchar) as purpose,
        parse_failures.run_key,
        parse_failures.parser_version,
        coalesce(
            document_versions.is_parsed
            and document_versions.current_parser_version = document_versions.newest_parser_version,
            false
        ) as resolved

    from parse_failures
    left join document_versions
        on parse_failures.document_digest = document_versions.document_digest

),

final as (

    select * from failed_fetches
    union all
    select * from failed_parses

)

select * from final
