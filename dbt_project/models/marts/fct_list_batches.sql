-- One row per published list (batch): the rows the parser found against what the attachment
-- holds and what the regulator says it published.
with

lists as (

    select * from {{ ref('int_list_publications') }}

),

final as (

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
        notice_url,
        attachment_url,
        document_digest,
        parser_version,
        first_observed_at,
        last_observed_at

    from lists

)

select * from final
