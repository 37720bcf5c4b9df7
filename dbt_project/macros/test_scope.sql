{#-
  Data tests on incremental models check the rows of the model's latest load, not the whole table.

  Every row an incremental model writes carries `loaded_at`, the newest upstream load when the row was
  computed, which never decreases from one build to the next. So the rows a build wrote are among those
  with the table's greatest `loaded_at`; every older row was written, and tested, by an earlier build
  and has not changed since. What a generic test on an incremental model reads:
    - unique / unique_combination_of_columns: every row sharing a key with a row of the latest load
      (a new row colliding with an old one fails);
    - any other test (not_null, accepted_values, relationships, ...): the rows of the latest load.
  A table holding one load only (a full build) is tested whole, with no filter at all.
  `dbt build --vars '{test_scope: all}'` tests whole tables always; views and plain tables always are.
  dbt wraps the tested model of every generic test in get_where_subquery (the `where` config included),
  so overriding it here scopes the built-in tests and ours alike.
-#}

{% macro get_where_subquery(relation) -%}
    {%- set predicates = [] -%}
    {%- if config.get('where') -%}
        {%- do predicates.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- set scope = latest_load_scope(relation) -%}
    {%- if scope -%}
        {%- do predicates.append(scope) -%}
    {%- endif -%}
    {%- if predicates -%}
        {%- do return('(select * from ' ~ relation ~ ' as tested where ' ~ predicates | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{# A predicate on `tested` (a row of `relation`) limiting the current generic test to the latest load,
   or '' when the test reads the whole table. #}
{% macro latest_load_scope(relation) -%}
    {%- set latest = latest_load(relation) -%}
    {%- if latest is none -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set test = model.get('test_metadata') or {} -%}
    {%- set kwargs = test.get('kwargs', {}) -%}
    {%- if test.get('name') == 'unique' -%}
        {%- set keys = [kwargs.get('column_name')] -%}
    {%- elif test.get('name') == 'unique_combination_of_columns' -%}
        {%- set keys = kwargs.get('columns') -%}
    {%- else -%}
        {{- return('tested.loaded_at = ' ~ latest) -}}
    {%- endif -%}
    {%- set matches = [] -%}
    {%- for key in keys -%}
        {%- do matches.append('latest.' ~ key ~ ' is not distinct from tested.' ~ key) -%}
    {%- endfor -%}
    {{- return('exists (select 1 from ' ~ relation ~ ' as latest where latest.loaded_at = ' ~ latest
        ~ ' and ' ~ matches | join(' and ') ~ ')') -}}
{%- endmacro %}

{# The `loaded_at` of the latest load of `relation`, as a SQL literal; none when tests read it whole: an
   incremental model holding a single load (or empty), any other relation, or `test_scope: all`. #}
{% macro latest_load(relation) -%}
    {%- if not execute or var('test_scope', 'latest_load') == 'all' or not is_loaded_incrementally(relation) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set bounds = run_query('select cast(min(loaded_at) as varchar), cast(max(loaded_at) as varchar) from '
        ~ relation).rows[0] -%}
    {%- if bounds[0] is none or bounds[0] == bounds[1] -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return("cast('" ~ bounds[1] ~ "' as timestamp with time zone)") -}}
{%- endmacro %}

{# `select column from relation` limited to the latest load, for singular tests; none when whole. #}
{% macro latest_load_keys(relation, column) -%}
    {%- set latest = latest_load(relation) -%}
    {%- if latest is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return('select ' ~ column ~ ' from ' ~ relation ~ ' where loaded_at = ' ~ latest) -}}
{%- endmacro %}

{# Whether `relation` is an incremental model of this project (its rows carry `loaded_at`). #}
{% macro is_loaded_incrementally(relation) -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.alias == relation.identifier
            and node.schema == relation.schema -%}
            {{- return(node.config.materialized == 'incremental') -}}
        {%- endif -%}
    {%- endfor -%}
    {{- return(false) -}}
{%- endmacro %}
