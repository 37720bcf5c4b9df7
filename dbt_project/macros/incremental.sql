{#-
  Incremental loading of the event log. Segments are immutable files, so "what is new" is the set of
  segment files not yet loaded (a load-time watermark: a replay appends records for old documents
  with old observed_at, so observed_at cannot be the watermark). Models downstream of the staging
  table take the rows whose `loaded_at` (the dbt run that loaded them) is past their own.
-#}

{# The glob of one kind's segments (`records`, `fetch`, `log`). Only called while dbt executes: the log's
   location is never read while dbt parses, so a saved parse (target/partial_parse.msgpack) holds for a log
   anywhere, and dbt reuses it instead of parsing the whole project again (docs/development.md). #}
{% macro event_segments_glob(kind) -%}
  {{ env_var('REGTRAIL_LOG', '') or env_var('REGTRAIL_HOME') }}/events/{{ kind }}/**/*.parquet
{%- endmacro %}

{# The source `table` of staging/_sources.yml (the `kind` segments of the log) as a relation: every segment
   file under the glob. While dbt parses, the source itself, which records the model's lineage. #}
{% macro event_log(table, kind) -%}
  {%- set declared = source('regtrail', table) -%}
  {%- if execute -%}
    {{ read_event_segments([event_segments_glob(kind) | trim]) }}
  {%- else -%}
    {{ declared }}
  {%- endif -%}
{%- endmacro %}

{# Segment files of `kind` not listed in `relation`.segments (a list column); [] outside execution. #}
{% macro new_event_segments(relation, kind) -%}
  {% if not execute %}{{ return([]) }}{% endif %}
  {% set query %}
    select file from ({{ list_files(event_segments_glob(kind)) }}) as present
    where file not in (select segment from ({{ unnest_list('segments', relation) }}) as loaded)
    order by file
  {% endset %}
  {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{# A relation over the given segment files (or globs): every log read goes through here. #}
{% macro read_event_segments(files) -%}
  {{ return(adapter.dispatch('read_event_segments', 'regtrail')(files)) }}
{%- endmacro %}
{% macro duckdb__read_event_segments(files) -%}
  read_parquet([{% for file in files %}'{{ file | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %}],
    union_by_name = true, hive_partitioning = false)
{%- endmacro %}

{# When this dbt invocation started (UTC): the `loaded_at` of the rows it loads. #}
{% macro load_time() -%}
  cast('{{ run_started_at.isoformat() }}' as timestamp with time zone)
{%- endmacro %}

{# The newest `loaded_at` already in `relation` (a timestamp before any load when it is empty). #}
{% macro loaded_watermark(relation) -%}
  (select coalesce(max(loaded_at), cast('1970-01-01 00:00:00+00' as timestamp with time zone)) from {{ relation }})
{%- endmacro %}

{# Files matching a glob, as a query with one column `file`. #}
{% macro list_files(pattern) -%}
  {{ return(adapter.dispatch('list_files', 'regtrail')(pattern)) }}
{%- endmacro %}
{% macro duckdb__list_files(pattern) -%}
  select file from glob('{{ pattern }}')
{%- endmacro %}

{# The elements of list column `column` of `relation`, as a query with one column `segment`. #}
{% macro unnest_list(column, relation) -%}
  {{ return(adapter.dispatch('unnest_list', 'regtrail')(column, relation)) }}
{%- endmacro %}
{% macro duckdb__unnest_list(column, relation) -%}
  select distinct unnest({{ column }}) as segment from {{ relation }}
{%- endmacro %}

{# The elements of a list column, one row each (in a select list). #}
{% macro list_elements(column) -%}
  {{ return(adapter.dispatch('list_elements', 'regtrail')(column)) }}
{%- endmacro %}
{% macro duckdb__list_elements(column) -%}
  unnest({{ column }})
{%- endmacro %}

{# A list holding one string. #}
{% macro single_string_list(column) -%}
  {{ return(adapter.dispatch('single_string_list', 'regtrail')(column)) }}
{%- endmacro %}
{% macro duckdb__single_string_list(column) -%}
  [{{ column }}]
{%- endmacro %}

{# Distinct strings aggregated into a sorted list. #}
{% macro distinct_string_list_agg(column) -%}
  {{ return(adapter.dispatch('distinct_string_list_agg', 'regtrail')(column)) }}
{%- endmacro %}
{% macro duckdb__distinct_string_list_agg(column) -%}
  list(distinct {{ column }} order by {{ column }})
{%- endmacro %}

{# Filing numbers whose history (int_filing_versions) or cancellation notices were loaded after the
   newest `loaded_at` of `relation`: what an incremental filing mart recomputes. #}
{% macro filings_loaded_after(relation) -%}
    select filing_number
    from {{ ref('int_filing_versions') }}
    where loaded_at > {{ loaded_watermark(relation) }}
    union
    select filing_number
    from {{ ref('int_filing_cancellations') }}
    where loaded_at > {{ loaded_watermark(relation) }}
{%- endmacro %}
