-- One row per parsed document (document_digest): which parser version's records the warehouse uses.
-- A document can be parsed by several parser versions (replay after a parser change). The newest
-- version wins; versions compare numerically when all of a document's versions are integers, else
-- as text. A version that only produced a parse_failure does not displace an older version that
-- parsed the document (the failure stays visible in fct_fetch_failures).
-- A table: every model that reads documents joins it, and it scans the whole record log.
{{ config(materialized='table') }}
with

records as (

    select
        document_digest,
        parser_version,
        record_type
    from {{ ref('stg_regtrail__record_events') }}
    where document_digest is not null

),

versions as (

    select
        document_digest,
        parser_version,
        {{ parser_version_numeric('parser_version') }} as parser_version_number,
        count(*) as records_count,
        sum(case when record_type = 'parse_failure' then 0 else 1 end) as parsed_records_count
    from records
    group by document_digest, parser_version

),

typed as (

    select
        *,
        (min(case when parser_version_number is null then 0 else 1 end) over (partition by document_digest) = 1)
            as all_versions_numeric
    from versions

),

ranked as (

    select
        *,
        row_number() over (
            partition by document_digest
            order by
                case when all_versions_numeric then parser_version_number end desc nulls last,
                parser_version desc
        ) as newest_rank,
        row_number() over (
            partition by document_digest
            order by
                case when parsed_records_count > 0 then 0 else 1 end,
                case when all_versions_numeric then parser_version_number end desc nulls last,
                parser_version desc
        ) as current_rank,
        count(*) over (partition by document_digest) as parser_versions_count
    from typed

),

final as (

    select
        current_version.document_digest,
        current_version.parser_version as current_parser_version,
        newest_version.parser_version as newest_parser_version,
        current_version.parsed_records_count > 0 as is_parsed,
        current_version.records_count as current_records_count,
        current_version.parser_versions_count
    from ranked as current_version
    inner join ranked as newest_version
        on current_version.document_digest = newest_version.document_digest
            and newest_version.newest_rank = 1
    where current_version.current_rank = 1

)

select * from final
