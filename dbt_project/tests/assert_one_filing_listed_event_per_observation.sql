-- Every (filing, list) observation has exactly one filing_listed event, and there are no others.
with

observations as (

    select filing_number, list_id from {{ ref('int_filing_observations') }}

),

listed as (

    select filing_number, list_id, count(*) as events
    from {{ ref('fct_timeline_events') }}
    where event_type = 'filing_listed'
    group by filing_number, list_id

)

select
    coalesce(observations.filing_number, listed.filing_number) as filing_number,
    coalesce(observations.list_id, listed.list_id) as list_id,
    listed.events
from observations
full outer join listed
    on observations.filing_number = listed.filing_number
    and observations.list_id = listed.list_id
where observations.filing_number is null
    or listed.filing_number is null
    or listed.events <> 1
