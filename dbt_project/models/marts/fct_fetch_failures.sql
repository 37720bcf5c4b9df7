-- Everything that went wrong getting documents, one row per URL and stage: failed HTTP attempts
-- (stage fetch) and documents no parser could read (stage parse), with how many attempts failed,
-- the first and the last of them, the last error, and whether it is resolved: a later attempt of
-- the same URL succeeded (fetch) or the newest parser reads the URL's latest failing document (parse).
-- A daily run that fails again on the same URL updates its row instead of adding one.
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

last_success as (

    select
        url,
        max(started_at) as last_ok_at
    from fetches
    where is_ok
    group by url

),

failed_fetches as (

    select
        'fetch' as stage,
        url,
        count(*) as attempts,
        min(started_at) as first_attempt_at,
        max(started_at) as last_attempt_at,
        arg_max(source, started_at) as source,
        arg_max(error_kind, started_at) as error_kind,
        arg_max(error, started_at) as error,
        arg_max(status, started_at) as status,
        arg_max(purpose, started_at) as purpose,
        arg_max(run_key, started_at) as run_key,
        cast(null as varchar) as parser_version
    from fetches
    where not is_ok
    group by url

),

failed_parses as (

    select
        'parse' as stage,
        document_url as url,
        count(*) as attempts,
        min(observed_at) as first_attempt_at,
        max(observed_at) as last_attempt_at,
        arg_max(source, observed_at) as source,
        'parse_failure' as error_kind,
        arg_max(
            case
                when detected_type is not null then error || ' (detected type: ' || detected_type || ')'
                else error
            end,
            observed_at
        ) as error,
        cast(null as integer) as status,
        cast(null as varchar) as purpose,
        arg_max(run_key, observed_at) as run_key,
        arg_max(parser_version, observed_at) as parser_version,
        arg_max(document_digest, observed_at) as document_digest
    from parse_failures
    group by document_url

),

final as (

    select
        failed_fetches.stage || ' ' || failed_fetches.url as failure_id,
        failed_fetches.stage,
        failed_fetches.source,
        failed_fetches.url,
        failed_fetches.error_kind,
        failed_fetches.error,
        failed_fetches.status,
        failed_fetches.purpose,
        failed_fetches.attempts,
        failed_fetches.first_attempt_at,
        failed_fetches.last_attempt_at,
        failed_fetches.run_key,
        failed_fetches.parser_version,
        coalesce(last_success.last_ok_at > failed_fetches.last_attempt_at, false) as resolved
    from failed_fetches
    left join last_success
        on failed_fetches.url = last_success.url

    union all by name

    select
        failed_parses.stage || ' ' || failed_parses.url as failure_id,
        failed_parses.stage,
        failed_parses.source,
        failed_parses.url,
        failed_parses.error_kind,
        failed_parses.error,
        failed_parses.status,
        failed_parses.purpose,
        failed_parses.attempts,
        failed_parses.first_attempt_at,
        failed_parses.last_attempt_at,
        failed_parses.run_key,
        failed_parses.parser_version,
        coalesce(
            document_versions.is_parsed
            and document_versions.current_parser_version = document_versions.newest_parser_version,
            false
        ) as resolved
    from failed_parses
    left join document_versions
        on failed_parses.document_digest = document_versions.document_digest

)

select
    failure_id,
    stage,
    source,
    url,
    error_kind,
    error,
    status,
    purpose,
    attempts,
    first_attempt_at,
    last_attempt_at,
    run_key,
    parser_version,
    resolved
from final
