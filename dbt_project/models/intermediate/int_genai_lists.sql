-- One row per generative-AI list (an attachment of the genAI notice page, or a yearly summary): when it
-- was published, as precisely as the evidence allows. A list dated by a notice (a day: the notice page or
-- summary notice that published it, source config) keeps that day (date_basis 'notice'); a list known to
-- its month only is dated 'inferred' and spans the month (published_at the 1st, published_latest the last
-- day). Either way a list cannot have been published before the latest 备案时间/登记时间 it prints: when a
-- row is dated later, published_at moves to that day (date_basis 'inferred') and date_note says so.
-- Rows of the list's current document and parser version only; the list record's counts, official totals
-- and accepted differences (source config) come along for fct_genai_reconciliation.
with

current_versions as (

    select * from {{ ref('int_document_parser_versions') }}

),

lists as (

    select
        lists.*,
        min(lists.observed_at) over (partition by lists.list_id) as first_observed_at
    from {{ ref('stg_cac__genai_lists') }} as lists
    inner join current_versions
        on lists.document_digest = current_versions.document_digest
            and lists.parser_version = current_versions.current_parser_version
    qualify row_number() over (
            partition by lists.list_id order by lists.observed_at desc, lists.document_digest desc, lists.event_id asc
        ) = 1

),

row_dates as (

    select
        genai.list_id,
        genai.document_digest,
        max(genai.filed_date) as latest_row_date
    from {{ ref('stg_cac__genai_filings') }} as genai
    inner join current_versions
        on genai.document_digest = current_versions.document_digest
            and genai.parser_version = current_versions.current_parser_version
    group by genai.list_id, genai.document_digest

),

stated as (

    select
        lists.list_id,
        lists.period,
        lists.is_summary,
        lists.published_at as stated_published_at,
        lists.published_precision as stated_precision,
        {{ precision_latest('lists.published_at', 'lists.published_precision') }} as stated_latest,
        row_dates.latest_row_date,
        lists.document_digest,
        lists.file_type,
        lists.is_synthetic,
        lists.expected_filings,
        lists.expected_registrations,
        lists.expected_ondevice,
        lists.official_total_json,
        lists.accepted_differences_json,
        lists.notice_url,
        lists.attachment_url,
        lists.observed_at,
        lists.first_observed_at
    from lists
    left join row_dates
        on lists.list_id = row_dates.list_id and lists.document_digest = row_dates.document_digest

),

final as (

    select
        list_id,
        period,
        is_summary,
        stated_published_at,
        stated_precision,
        latest_row_date,
        greatest(stated_published_at, latest_row_date) as published_at,
        coalesce(stated_precision, 'day') as published_precision,
        greatest(stated_latest, latest_row_date) as published_latest,
        case
            when stated_precision = 'day' and not coalesce(latest_row_date > stated_published_at, false) then 'notice'
            else 'inferred'
        end as date_basis,
        case
            when latest_row_date > stated_latest
                then 'moved to ' || cast(latest_row_date as varchar) || ': its latest 备案/登记时间 is after '
                    || case
                        when stated_precision = 'month' then 'the month ' || strftime(stated_published_at, '%Y-%m')
                        else 'the notice date ' || cast(stated_published_at as varchar)
                    end || ' the source config gives'
            when latest_row_date > stated_published_at
                then 'published in ' || strftime(stated_published_at, '%Y-%m')
                    || ' (inferred), not before its latest 备案/登记时间 ' || cast(latest_row_date as varchar)
            when stated_precision = 'month'
                then 'published in ' || strftime(stated_published_at, '%Y-%m') || ' (inferred): the day is not known'
            when stated_published_at is null then 'no publication date known'
            else 'dated by its notice'
        end as date_note,
        document_digest,
        file_type,
        is_synthetic,
        expected_filings,
        expected_registrations,
        expected_ondevice,
        official_total_json,
        accepted_differences_json,
        notice_url,
        attachment_url,
        observed_at,
        first_observed_at
    from stated

)

select * from final
