-- Every (filing, list) observation has exactly one filing_listed event, and there are no others.
-- After an incremental build: the filings either table loaded last (see macros/test_scope.sql).
{%- set observed = latest_load_keys(ref('int_filing_observations'), 'filing_number') %}
{%- set listed = latest_load_keys(ref('fct_timeline_events'), 'filing_number') %}
{%- set scoped = observed is not none and listed is not none %}
with
{%- if scoped %}

scope as (

    {{ observed }}
    union
    {{ listed }}

),
{%- endif %}

observations as (

    select filing_number, list_id from {{ ref('int_filing_observations') }}
    {%- if scoped %}
    where filing_number in (select filing_number from scope)
    {%- endif %}

),

listed as (

    select filing_number, list_id, count(*) as events
    from {{ ref('fct_timeline_events') }}
    where event_type = 'filing_listed'
    {%- if scoped %}
        and filing_number in (select filing_number from scope)
    {%- endif %}
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
