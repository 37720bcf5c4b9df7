{#- on-run-end: one row per dbt invocation in the file dbt wrote, so `publish` can tell whether the
    build it is about to publish passed every data test of the project (regtrail/warehouse.py). -#}
{% macro record_invocation(results) %}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'seed', 'snapshot') -%}
        {%- set counts = {'built': 0, 'built_failed': 0, 'tests_passed': 0, 'tests_failed': 0} -%}
        {%- for result in results -%}
            {%- set status = result.status | string -%}
            {%- if result.node.resource_type == 'test' -%}
                {%- set key = 'tests_passed' if status in ('pass', 'warn') else 'tests_failed' -%}
            {%- else -%}
                {%- set key = 'built' if status in ('success', 'pass') else 'built_failed' -%}
            {%- endif -%}
            {%- do counts.update({key: counts[key] + 1}) -%}
        {%- endfor -%}
        {%- set project_tests = graph.nodes.values() | selectattr('resource_type', 'equalto', 'test') | list | length -%}
        create table if not exists {{ target.schema }}._regtrail_dbt_runs (
            seq integer, invocation_id varchar, command varchar, finished_at timestamp with time zone,
            built integer, built_failed integer, tests_passed integer, tests_failed integer, project_tests integer
        );
        insert into {{ target.schema }}._regtrail_dbt_runs
        select coalesce(max(seq), 0) + 1, '{{ invocation_id }}', '{{ flags.WHICH }}', now(),
               {{ counts.built }}, {{ counts.built_failed }}, {{ counts.tests_passed }}, {{ counts.tests_failed }},
               {{ project_tests }}
        from {{ target.schema }}._regtrail_dbt_runs;
    {%- endif -%}
{% endmacro %}
