{#- Helpers of the timeline models (models/intermediate/timeline/). -#}

{# `column “old” → “new”` when a later version of a filing changed `column` (int_filing_versions has
   previous_<column>), else NULL. #}
{% macro timeline_value_change(column) -%}
    case
        when version_number > 1 and {{ column }} is distinct from previous_{{ column }}
            then '{{ column }} “' || coalesce(previous_{{ column }}, '') || '” → “' || coalesce({{ column }}, '') || '”'
    end
{%- endmacro %}
