{#-
  Rows where `column_name` differs from `other_column` (NULL on one side counts as a difference).
  Narrow it with the standard `where` config, e.g. to rows where the other column is known.
-#}
{% test equal_to_column(model, column_name, other_column) %}

select *
from {{ model }}
where {{ column_name }} is distinct from {{ other_column }}

{% endtest %}
