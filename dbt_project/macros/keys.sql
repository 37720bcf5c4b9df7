{#-
  Deterministic keys: md5 over the parts joined with '|', NULL parts spelled '_null_'
  (the same idea as dbt_utils.generate_surrogate_key, without the package).
-#}
{% macro surrogate_key(columns) -%}
  md5(concat_ws('|'
  {%- for column in columns %}, coalesce(cast({{ column }} as varchar), '_null_'){% endfor -%}
  ))
{%- endmacro %}
