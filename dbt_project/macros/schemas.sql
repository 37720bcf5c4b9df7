{#- Schemas named exactly as configured (`+schema: staging` puts a model in `staging`, not `main_staging`), so
    the published file's default schema `main` holds only the marts and dims BI users browse. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{- custom_schema_name | trim if custom_schema_name else target.schema -}}
{%- endmacro %}
