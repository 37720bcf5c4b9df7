{#-
  The log events (`events/log/`, docs/EVENTS.md): what happened to the log itself, e.g. a segment
  quarantined because it could not be read. Unlike fetch and record events there are usually none, and
  read_parquet refuses a glob that matches no file, so this is an empty relation with the same columns
  until the first log segment exists. Once there is one, the view reads the glob (not the files listed
  now), so it shows the log events present when it is queried.
-#}
{% macro log_events_relation() -%}
  {% set files = [] %}
  {% if execute %}
    {% set files = run_query(list_files(event_segments_glob('log'))).columns[0].values() | list %}
  {% endif %}
  {% if files %}
    {{ read_event_segments([event_segments_glob('log') | trim]) }}
  {% else %}
    (
        select
            cast(null as varchar) as event_id,
            cast(null as varchar) as source,
            cast(null as varchar) as event_type,
            cast(null as varchar) as subject,
            cast(null as varchar) as detail,
            cast(null as timestamp with time zone) as occurred_at,
            cast(null as varchar) as run_key
        where false
    )
  {% endif %}
{%- endmacro %}
