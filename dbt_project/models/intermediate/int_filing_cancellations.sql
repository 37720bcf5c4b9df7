-- One row per filing number named in a cancellation notice (算法备案编号注销公告): the earliest notice,
-- from the current parser version of each notice's PDF. `loaded_at`: the newest load of any
-- notice row naming the filing (marts recompute the filing when it moves).
with

current_versions as (

    select * from {{ ref('int_document_parser_versions') }}

),

cancellations as (

    select cancellations.*
    from {{ ref('stg_cac__cancellations') }} as cancellations
    inner join current_versions
        on cancellations.document_digest = current_versions.document_digest
            and cancellations.parser_version = current_versions.current_parser_version

),

ranked as (

    select
        *,
        row_number() over (
            partition by filing_number order by published_at nulls last, observed_at, notice_id
        ) as occurrence,
        count(distinct notice_id) over (partition by filing_number) as notices_count,
        max(loaded_at) over (partition by filing_number) as newest_loaded_at
    from cancellations

),

final as (

    select
        filing_number,
        algorithm_name,
        role,
        {{ normalize_entity_name('entity_name') }} as entity_name,
        products,
        coalesce(published_at, {{ utc_date('observed_at') }}) as cancelled_date,
        case when published_at is not null then 'published' else 'observed' end as date_basis,
        cancelled_text,
        notice_id,
        notice_title,
        cast(notices_count as integer) as notices_count,
        document_url,
        observed_at,
        event_id as record_event_id,
        newest_loaded_at as loaded_at

    from ranked
    where occurrence = 1

)

select * from final
