-- A filing cannot be last listed before it was first listed.
select filing_number, first_listed_date, last_listed_date
from {{ ref('fct_filings') }}
where first_listed_date > last_listed_date
