{#-
  Rows where `column_name` is before `other_column` (both known): a date that may not precede another,
  e.g. the latest bound of a window and its earliest, or a list's publication and the rows it prints.
-#}
{% test not_before_column(model, column_name, other_column) %}

select *
from {{ model }}
where {{ column_name }} < {{ other_column }}

{% endtest %}
