-- One row per filing number per list, ordered per filing by published_at then observed_at, with the
-- previous version's fields, which fields changed, and flags read from 备注.
-- Valid time of what a version shows for the first time (a change, 已注销): no later than its list's
-- publication date (the last day of its month when the list is dated by its month only) and no earlier than
-- the previous list showing the filing, so both bounds are kept
-- (valid_from_earliest, valid_from_latest) and change_date is the list's publication date (basis
-- 'published'). A new change 备注 naming a month is dated by that month (basis 'remark', bounds the
-- month): the regulator's own date, even when later than the list's publication (CAC edits old
-- attachments in place: the 2022年8月 list carries `2023年12月新增算法使用产品`). 'observed' is left
-- for what no date covers: a content first shown when an attachment already in the log is
-- re-published with a different content for the filing (content_observed_at later than
-- first_observed_at: dated by the day regtrail first saw it, no earlier than the day it saw the old
-- content), and a list without any date.
-- Incremental by filing: a run recomputes the whole history of every filing with an observation
-- loaded after this table's `loaded_at`, or with a row whose observation no longer exists (a replay
-- dropped it), and replaces that filing's rows; filings left with no observation are deleted.
-- `loaded_at` is the newest int_filing_observations.loaded_at when the filing was recomputed, so a
-- filing whose history changed is always past the watermark of the marts built from this table.
{{ config(
    materialized='incremental',
    unique_key='filing_number',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=[
        "delete from {{ this }} where observation_id not in (
            select observation_id from {{ ref('int_filing_observations') }})",
    ],
) }}
with
{%- if is_incremental() %}

touched_filings as (

    select filing_number
    from {{ ref('int_filing_observations') }}
    where loaded_at > {{ loaded_watermark(this) }}
    union
    select filing_number
    from {{ this }}
    where observation_id not in (select observation_id from {{ ref('int_filing_observations') }})

),
{%- endif %}

observations as (

    -- read straight from the table (a CTE read twice would be materialized in full)
    select * exclude (loaded_at) from {{ ref('int_filing_observations') }}
    {%- if is_incremental() %}
    where filing_number in (select filing_number from touched_filings)
    {%- endif %}

),

ordered as (

    select
        *,
        row_number() over (
            partition by filing_number
            order by published_at nulls last, observed_at, list_id
        ) as version_number,
        count(*) over (partition by filing_number) as versions_count
    from observations

),

with_previous as (

    select
        *,
        lag(list_id) over by_version as previous_list_id,
        lag(published_at) over by_version as previous_published_at,
        lag(algorithm_name) over by_version as previous_algorithm_name,
        lag(entity_name) over by_version as previous_entity_name,
        lag(products) over by_version as previous_products,
        lag(purpose) over by_version as previous_purpose,
        lag(role) over by_version as previous_role,
        lag(algorithm_category) over by_version as previous_algorithm_category,
        lag(remark) over by_version as previous_remark
    from ordered
    window by_version as (partition by filing_number order by version_number)

),

final as (

    select
        *,
        version_number = 1 as is_first,
        version_number = versions_count as is_latest,
        {{ is_cancellation_remark('remark') }} as is_cancelled,
        {{ is_change_remark('remark') }} as has_change_remark,
        (remark is not null and remark is distinct from previous_remark) as is_new_remark,
        {{ remark_month('remark') }} as remark_month,
        {{ string_list_compact([
            "case when version_number > 1 and algorithm_name is distinct from previous_algorithm_name
                then 'algorithm_name' end",
            "case when version_number > 1 and entity_name is distinct from previous_entity_name
                then 'entity_name' end",
            "case when version_number > 1 and products is distinct from previous_products
                then 'products' end",
            "case when version_number > 1 and purpose is distinct from previous_purpose
                then 'purpose' end",
            "case when role is not null and previous_role is not null and role <> previous_role
                then 'role' end",
            "case when algorithm_category is not null and previous_algorithm_category is not null
                and algorithm_category <> previous_algorithm_category then 'algorithm_category' end",
        ]) }} as changed_fields,
        (select max(observations.loaded_at) from {{ ref('int_filing_observations') }} as observations) as loaded_at
    from with_previous

),

dated as (

    select
        * exclude (loaded_at),
        -- the list's publication, or the day regtrail first saw a list without a date; when the
        -- attachment was re-published in place with a different content for the filing, the day
        -- regtrail first saw that content (the day before it, the old content was still shown)
        case
            when content_observed_at > first_observed_at then {{ utc_date('content_observed_at') }}
            else coalesce(published_at, {{ utc_date('first_observed_at') }})
        end as shown_by,
        content_observed_at > first_observed_at or published_at is null as is_observed,
        remark_month is not null and has_change_remark and is_new_remark as is_remark_dated,
        loaded_at
    from final

)

select
    * exclude (shown_by, is_observed, is_remark_dated, loaded_at),
    case
        when is_remark_dated then remark_month
        when content_observed_at > first_observed_at then {{ utc_date('first_observed_at') }}
        else previous_published_at
    end as valid_from_earliest,
    case
        when is_remark_dated then cast(remark_month + interval 1 month - interval 1 day as date)
        -- a list known to its month only was published on any day of that month
        when not is_observed then {{ precision_latest('shown_by', 'published_precision') }}
        else shown_by
    end as valid_from_latest,
    case when is_remark_dated then remark_month else shown_by end as change_date,
    case
        when is_remark_dated then 'month'
        when is_observed then 'day'
        else published_precision
    end as change_precision,
    case
        when is_remark_dated then 'remark'
        when is_observed then 'observed'
        else 'published'
    end as change_date_basis,
    loaded_at
from dated
