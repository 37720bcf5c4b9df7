-- Every generative-AI list holds the rows it says it holds, and the cumulative filed/registered rows
-- equal the regulator's official totals, or differ exactly by a difference the source config accepts
-- and explains (fct_genai_reconciliation.status). Any other difference fails the build.
select list_id, period, status, rows_reconciled, filed_difference, registered_difference
from {{ ref('fct_genai_reconciliation') }}
where status = 'unexplained_difference' or not rows_reconciled
