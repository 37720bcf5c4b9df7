{#-
  Matching names in text (news articles against the entity alias seed).
-#}

{# True when `column` matches a regular expression computed by the SQL expression `pattern_sql`. #}
{% macro regex_matches_dynamic(column, pattern_sql) -%}
  {{ return(adapter.dispatch('regex_matches_dynamic', 'regtrail')(column, pattern_sql)) }}
{%- endmacro %}
{% macro duckdb__regex_matches_dynamic(column, pattern_sql) -%}
  regexp_matches({{ column }}, {{ pattern_sql }})
{%- endmacro %}

{# A string column escaped for use as a literal inside a regular expression. #}
{% macro regex_escape(column) -%}
  {{ return(adapter.dispatch('regex_escape', 'regtrail')(column)) }}
{%- endmacro %}
{% macro duckdb__regex_escape(column) -%}
  regexp_replace({{ column }}, '([.^$*+?()\[\]{}|\\-])', '\\\1', 'g')
{%- endmacro %}
