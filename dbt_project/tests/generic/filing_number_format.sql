{#-
  Rows whose value is not a well-formed 备案编号: 网信算备 + 21 digits (6 region, 7 entity,
  2 algorithm type, 2 year, 4 sequence) + 号. NULLs are left to not_null.
-#}
{% test filing_number_format(model, column_name) %}

select {{ column_name }} as filing_number
from {{ model }}
where {{ column_name }} is not null
    and not {{ regex_matches(column_name, filing_number_pattern()) }}

{% endtest %}
