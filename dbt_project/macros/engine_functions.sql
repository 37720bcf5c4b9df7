{#-
  Engine-specific SQL lives here so the models stay portable. Each macro dispatches on the
  adapter (`adapter.dispatch`); the `duckdb__` versions are the ones used today. To target
  another engine, add `<adapter>__<macro>` implementations next to them.
-#}

{# Text value of a top-level key of a JSON object stored as text; NULL when absent or null. #}
{% macro json_text(column, key) -%}
  {{ return(adapter.dispatch('json_text', 'regtrail')(column, key)) }}
{%- endmacro %}
{% macro duckdb__json_text(column, key) -%}
  json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{# Integer value of a JSON key (NULL when absent or not an integer). #}
{% macro json_int(column, key) -%}
  {{ return(adapter.dispatch('json_int', 'regtrail')(column, key)) }}
{%- endmacro %}
{% macro duckdb__json_int(column, key) -%}
  try_cast(json_extract_string({{ column }}, '$.{{ key }}') as bigint)
{%- endmacro %}

{# Boolean value of a JSON key. #}
{% macro json_bool(column, key) -%}
  {{ return(adapter.dispatch('json_bool', 'regtrail')(column, key)) }}
{%- endmacro %}
{% macro duckdb__json_bool(column, key) -%}
  try_cast(json_extract_string({{ column }}, '$.{{ key }}') as boolean)
{%- endmacro %}

{# Number of elements of a JSON array stored under a key. #}
{% macro json_array_length(column, key) -%}
  {{ return(adapter.dispatch('json_array_length', 'regtrail')(column, key)) }}
{%- endmacro %}
{% macro duckdb__json_array_length(column, key) -%}
  json_array_length({{ column }}, '$.{{ key }}')
{%- endmacro %}

{# Raw JSON text stored under a key (for nested arrays/objects). #}
{% macro json_raw(column, key) -%}
  {{ return(adapter.dispatch('json_raw', 'regtrail')(column, key)) }}
{%- endmacro %}
{% macro duckdb__json_raw(column, key) -%}
  cast(json_extract({{ column }}, '$.{{ key }}') as varchar)
{%- endmacro %}

{# True when `column` matches the regular expression `pattern` (RE2 syntax, unanchored). #}
{% macro regex_matches(column, pattern) -%}
  {{ return(adapter.dispatch('regex_matches', 'regtrail')(column, pattern)) }}
{%- endmacro %}
{% macro duckdb__regex_matches(column, pattern) -%}
  regexp_matches({{ column }}, '{{ pattern }}')
{%- endmacro %}

{# Capture group `group` of the first match of `pattern`; NULL when there is no match. #}
{% macro regex_extract(column, pattern, group) -%}
  {{ return(adapter.dispatch('regex_extract', 'regtrail')(column, pattern, group)) }}
{%- endmacro %}
{% macro duckdb__regex_extract(column, pattern, group) -%}
  nullif(regexp_extract({{ column }}, '{{ pattern }}', {{ group }}), '')
{%- endmacro %}

{# Replace every match of `pattern` (back-references as \1). #}
{% macro regex_replace_all(column, pattern, replacement) -%}
  {{ return(adapter.dispatch('regex_replace_all', 'regtrail')(column, pattern, replacement)) }}
{%- endmacro %}
{% macro duckdb__regex_replace_all(column, pattern, replacement) -%}
  regexp_replace({{ column }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{# Cast that yields NULL instead of failing. #}
{% macro safe_cast(expression, type) -%}
  {{ return(adapter.dispatch('safe_cast', 'regtrail')(expression, type)) }}
{%- endmacro %}
{% macro duckdb__safe_cast(expression, type) -%}
  try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{# A list of strings built from expressions, NULL elements dropped (order kept). #}
{% macro string_list_compact(expressions) -%}
  {{ return(adapter.dispatch('string_list_compact', 'regtrail')(expressions)) }}
{%- endmacro %}
{% macro duckdb__string_list_compact(expressions) -%}
  list_filter([{{ expressions | join(', ') }}]::varchar[], lambda x: x is not null)
{%- endmacro %}

{# An empty list of strings. #}
{% macro empty_string_list() -%}
  {{ return(adapter.dispatch('empty_string_list', 'regtrail')()) }}
{%- endmacro %}
{% macro duckdb__empty_string_list() -%}
  cast([] as varchar[])
{%- endmacro %}

{# Join a list of strings with a separator. #}
{% macro string_list_join(column, separator) -%}
  {{ return(adapter.dispatch('string_list_join', 'regtrail')(column, separator)) }}
{%- endmacro %}
{% macro duckdb__string_list_join(column, separator) -%}
  array_to_string({{ column }}, '{{ separator }}')
{%- endmacro %}

{# Number of elements of a list. #}
{% macro list_length(column) -%}
  {{ return(adapter.dispatch('list_length', 'regtrail')(column)) }}
{%- endmacro %}
{% macro duckdb__list_length(column) -%}
  len({{ column }})
{%- endmacro %}

{# The UTC calendar date of a timestamp (the profile pins the session time zone to UTC). #}
{% macro utc_date(column) -%}
  {{ return(adapter.dispatch('utc_date', 'regtrail')(column)) }}
{%- endmacro %}
{% macro duckdb__utc_date(column) -%}
  cast(timezone('UTC', {{ column }}) as date)
{%- endmacro %}

{# First day of a month given year and month numbers. #}
{% macro month_start(year, month) -%}
  {{ return(adapter.dispatch('month_start', 'regtrail')(year, month)) }}
{%- endmacro %}
{% macro duckdb__month_start(year, month) -%}
  make_date(cast({{ year }} as integer), cast({{ month }} as integer), 1)
{%- endmacro %}

{# Aggregate strings into a sorted list. #}
{% macro string_list_agg(column) -%}
  {{ return(adapter.dispatch('string_list_agg', 'regtrail')(column)) }}
{%- endmacro %}
{% macro duckdb__string_list_agg(column) -%}
  list({{ column }} order by {{ column }})
{%- endmacro %}

{# A JSON array of objects as a list of typed structs (`struct_type`: a JSON structure description). #}
{% macro json_struct_list(column, struct_type) -%}
  {{ return(adapter.dispatch('json_struct_list', 'regtrail')(column, struct_type)) }}
{%- endmacro %}
{% macro duckdb__json_struct_list(column, struct_type) -%}
  from_json({{ column }}, '[{{ struct_type }}]')
{%- endmacro %}

{# A JSON array of strings under `key` as a list of varchar (NULL when absent). #}
{% macro json_string_list(column, key) -%}
  {{ return(adapter.dispatch('json_string_list', 'regtrail')(column, key)) }}
{%- endmacro %}
{% macro duckdb__json_string_list(column, key) -%}
  from_json(json_extract({{ column }}, '$.{{ key }}'), '["VARCHAR"]')
{%- endmacro %}
