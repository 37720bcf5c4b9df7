-- A filing is 'cancelled' in fct_filings exactly when the timeline has its filing_cancelled event,
-- dated cancelled_date.
with

filings as (

    select filing_number, status, cancelled_date from {{ ref('fct_filings') }}

),

cancellations as (

    select filing_number, event_date
    from {{ ref('fct_timeline_events') }}
    where event_type = 'filing_cancelled'

)

select filings.filing_number, filings.status, filings.cancelled_date, cancellations.event_date
from filings
left join cancellations
    on filings.filing_number = cancellations.filing_number
where (filings.status = 'cancelled') <> (cancellations.filing_number is not null)
    or filings.cancelled_date is distinct from cancellations.event_date
