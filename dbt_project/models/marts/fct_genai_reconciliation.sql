-- One row per generative-AI list (period, yearly summaries excluded): the rows parsed per table against
-- the list's own count (source config), the 序号 span each table covers and any 序号 skipped since the
-- previous list, the cumulative filed/registered rows against the regulator's official totals where it
-- stated one, and the accepted difference (with its explanation, from the source config) where one is
-- known. `status` is 'reconciled', 'accepted_difference', 'unexplained_difference' (a dbt test fails on
-- it) or 'rows_only' (no official total for this period: only the row counts are checked).
-- The official filed total counts the on-device (手机端侧) services of a list's third table with the filed
-- models: the filed side compares cumulative_filed + cumulative_ondevice with it, and `explanation` says so.
-- The lists (current document and parser version, counts and totals of the source config) come from
-- int_genai_lists, dated and ordered as it dates them (a notice's day, else the inferred month; never before
-- a row they print).
with

current_versions as (

    select * from {{ ref('int_document_parser_versions') }}

),

lists as (

    select * from {{ ref('int_genai_lists') }}
    where not is_summary

),

rows as (

    select
        genai.list_id,
        genai.document_digest,
        genai.genai_kind,
        count(*) as row_count,
        min(try_cast(genai.seq as integer)) as seq_first,
        max(try_cast(genai.seq as integer)) as seq_last
    from {{ ref('stg_cac__genai_filings') }} as genai
    -- the rows of the current parser version only, as `lists`: a replay with a newer parser adds rows
    inner join current_versions
        on genai.document_digest = current_versions.document_digest
            and genai.parser_version = current_versions.current_parser_version
    where not genai.is_summary
    group by genai.list_id, genai.document_digest, genai.genai_kind

),

per_list as (

    select
        lists.list_id,
        lists.period,
        lists.published_at,
        lists.published_precision,
        lists.published_latest,
        lists.date_basis as published_basis,
        lists.date_note as published_note,
        lists.file_type,
        lists.is_synthetic,
        coalesce(filings.row_count, 0) as filing_rows,
        lists.expected_filings,
        coalesce(registrations.row_count, 0) as registration_rows,
        lists.expected_registrations,
        coalesce(ondevice.row_count, 0) as ondevice_rows,
        lists.expected_ondevice,
        filings.seq_first as filing_seq_first,
        filings.seq_last as filing_seq_last,
        registrations.seq_first as registration_seq_first,
        registrations.seq_last as registration_seq_last,
        lists.official_total_json,
        lists.accepted_differences_json,
        lists.notice_url,
        lists.attachment_url,
        lists.first_observed_at
    from lists
    left join rows as filings
        on lists.list_id = filings.list_id and lists.document_digest = filings.document_digest
            and filings.genai_kind = 'filing'
    left join rows as registrations
        on lists.list_id = registrations.list_id and lists.document_digest = registrations.document_digest
            and registrations.genai_kind = 'registration'
    left join rows as ondevice
        on lists.list_id = ondevice.list_id and lists.document_digest = ondevice.document_digest
            and ondevice.genai_kind = 'ondevice'

),

cumulative as (

    select
        *,
        sum(filing_rows) over running as cumulative_filed,
        sum(registration_rows) over running as cumulative_registered,
        sum(ondevice_rows) over running as cumulative_ondevice,
        filing_seq_first - coalesce(lag(filing_seq_last) over ordered, 0) - 1 as filing_seq_skipped,
        registration_seq_first - coalesce(max(registration_seq_last) over preceding, 0) - 1 as registration_seq_skipped
    from per_list
    window
        ordered as (order by published_at, list_id),
        running as (order by published_at, list_id rows between unbounded preceding and current row),
        preceding as (order by published_at, list_id rows between unbounded preceding and 1 preceding)

),

official as (

    select
        list_id,
        {{ safe_cast(json_text('official_total_json', 'as_of'), 'date') }} as official_as_of,
        cast({{ json_int('official_total_json', 'filed') }} as integer) as official_filed,
        cast({{ json_int('official_total_json', 'registered') }} as integer) as official_registered,
        {{ json_text('official_total_json', 'source') }} as official_source
    from cumulative

),

differences as (

    select
        list_id,
        unnest({{ json_struct_list('accepted_differences_json',
            '{"table": "VARCHAR", "difference": "INTEGER", "explanation": "VARCHAR"}') }}) as accepted
    from cumulative
    where accepted_differences_json is not null

),

accepted as (

    select
        differences.list_id,
        cast(sum(case when accepted.table = 'filing' then accepted.difference end) as integer)
            as accepted_filed_difference,
        cast(sum(case when accepted.table = 'registration' then accepted.difference end) as integer)
            as accepted_registered_difference,
        string_agg(accepted.explanation, ' ') as accepted_explanation
    from differences
    group by differences.list_id

),

final as (

    select
        per.list_id,
        per.period,
        per.published_at,
        per.published_precision,
        per.published_latest,
        per.published_basis,
        per.published_note,
        per.file_type,
        per.is_synthetic,
        cast(per.filing_rows as integer) as filing_rows,
        per.expected_filings,
        cast(per.registration_rows as integer) as registration_rows,
        per.expected_registrations,
        cast(per.ondevice_rows as integer) as ondevice_rows,
        per.expected_ondevice,
        coalesce(
            per.filing_rows = coalesce(per.expected_filings, per.filing_rows)
            and per.registration_rows = coalesce(per.expected_registrations, per.registration_rows)
            and per.ondevice_rows = coalesce(per.expected_ondevice, per.ondevice_rows),
            false
        ) as rows_reconciled,
        per.filing_seq_first,
        per.filing_seq_last,
        per.registration_seq_first,
        per.registration_seq_last,
        cast(greatest(per.filing_seq_skipped, 0) as integer) as filing_seq_skipped,
        cast(greatest(per.registration_seq_skipped, 0) as integer) as registration_seq_skipped,
        cast(per.cumulative_filed as integer) as cumulative_filed,
        cast(per.cumulative_registered as integer) as cumulative_registered,
        cast(per.cumulative_ondevice as integer) as cumulative_ondevice,
        facts.official_as_of,
        facts.official_filed,
        facts.official_registered,
        facts.official_source,
        cast(per.cumulative_filed + per.cumulative_ondevice - facts.official_filed as integer) as filed_difference,
        cast(per.cumulative_registered - facts.official_registered as integer) as registered_difference,
        accepted.accepted_filed_difference,
        accepted.accepted_registered_difference,
        accepted.accepted_explanation,
        nullif(concat_ws(
            ' ',
            case
                when facts.official_filed is not null and per.cumulative_ondevice > 0
                    then 'The official filed total ' || facts.official_filed || ' counts the '
                        || per.cumulative_ondevice || ' on-device (手机端侧) services with the '
                        || per.cumulative_filed || ' filed models: ' || per.cumulative_filed || ' + '
                        || per.cumulative_ondevice || ' = ' || (per.cumulative_filed + per.cumulative_ondevice) || '.'
            end,
            case
                when facts.official_filed is not null or facts.official_registered is not null
                    then accepted.accepted_explanation
            end
        ), '') as explanation,
        case
            when facts.official_filed is null and facts.official_registered is null then 'rows_only'
            when (
                facts.official_filed is null
                or per.cumulative_filed + per.cumulative_ondevice - facts.official_filed
                = coalesce(accepted.accepted_filed_difference, 0)
            )
            and (
                facts.official_registered is null
                or per.cumulative_registered - facts.official_registered
                = coalesce(accepted.accepted_registered_difference, 0)
            )
                then case
                        when coalesce(per.cumulative_filed + per.cumulative_ondevice - facts.official_filed, 0) = 0
                            and coalesce(per.cumulative_registered - facts.official_registered, 0) = 0 then 'reconciled'
                        else 'accepted_difference'
                    end
            else 'unexplained_difference'
        end as status,
        per.notice_url,
        per.attachment_url,
        per.first_observed_at
    from cumulative as per
    inner join official as facts
        on per.list_id = facts.list_id
    left join accepted
        on per.list_id = accepted.list_id

)

select * from final
