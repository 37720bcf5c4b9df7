-- Every event segment moved to the quarantine because it could not be read, and what became of it:
-- a replay of its source restores every record event (they are a function of the archive) and the
-- accepted fetches whose bodies are archived; a log segment's events cannot be restored.
with

log_events as (

    select * from {{ ref('stg_regtrail__log_events') }}

),

quarantined as (

    select
        event_id as quarantine_event_id,
        source,
        subject as segment,
        {{ json_text('detail', 'kind') }} as event_kind,
        {{ json_text('detail', 'quarantined_to') }} as quarantined_to,
        {{ json_text('detail', 'problem') }} as problem,
        {{ json_int('detail', 'size_bytes') }} as size_bytes,
        {{ json_text('detail', 'sha256') }} as segment_digest,
        {{ json_int('detail', 'declared_rows') }} as declared_rows,
        occurred_at as quarantined_at,
        run_key as quarantined_by
    from log_events
    where event_type = 'segment_quarantined'

),

restorations as (

    select
        {{ json_text('detail', 'quarantine_event_id') }} as quarantine_event_id,
        min(occurred_at) as restored_at,
        arg_min(run_key, occurred_at) as restored_by,
        arg_min({{ json_int('detail', 'record_events_appended') }}, occurred_at) as record_events_appended,
        arg_min({{ json_int('detail', 'fetch_events_recovered') }}, occurred_at) as fetch_events_recovered
    from log_events
    where event_type = 'segment_restored'
    group by 1

),

final as (

    select
        quarantined.quarantine_event_id,
        quarantined.source,
        quarantined.event_kind,
        quarantined.segment,
        quarantined.quarantined_to,
        quarantined.problem,
        quarantined.size_bytes,
        quarantined.segment_digest,
        quarantined.declared_rows,
        quarantined.quarantined_at,
        quarantined.quarantined_by,
        restorations.restored_at,
        restorations.restored_by,
        restorations.record_events_appended,
        restorations.fetch_events_recovered,
        case
            when quarantined.event_kind = 'log' then 'not_restorable'
            when restorations.restored_at is null then 'awaiting_replay'
            when quarantined.event_kind = 'fetch' then 'archived_fetches_recovered'
            else 'restored'
        end as status
    from quarantined
    left join restorations
        on quarantined.quarantine_event_id = restorations.quarantine_event_id

)

select * from final
