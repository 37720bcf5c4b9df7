{#-
  Domain rules for CAC filing lists, in one place so models and tests agree.
-#}

{# The 备案编号 format: 网信算备 + 6-digit region + 7-digit entity + 2-digit algorithm type
   + 2-digit year + 4-digit sequence + 号 (21 digits). #}
{% macro filing_number_pattern() -%}
^网信算备[0-9]{6}[0-9]{7}[0-9]{2}[0-9]{2}[0-9]{4}号$
{%- endmacro %}

{# Part of a well-formed filing number: 'region' (6 digits), 'entity' (7), 'algorithm_type' (2),
   'year' (2), 'sequence' (4). NULL when the number does not follow the format. #}
{% macro filing_number_part(column, part) -%}
  {%- set groups = {'region': 1, 'entity': 2, 'algorithm_type': 3, 'year': 4, 'sequence': 5} -%}
  {{ regex_extract(column, '^网信算备([0-9]{6})([0-9]{7})([0-9]{2})([0-9]{2})([0-9]{4})号$', groups[part]) }}
{%- endmacro %}

{# The 6-digit administrative code after 网信算备 (网信算备110108… = 北京市海淀区), also of a number
   that breaks the format further on (an extra digit); NULL when there is none. #}
{% macro filing_number_region(column) -%}
  {{ regex_extract(column, '^网信算备([0-9]{6})', 1) }}
{%- endmacro %}

{# 备注 marks a cancelled filing. #}
{% macro is_cancellation_remark(column) -%}
  coalesce({{ regex_matches(column, '已注销') }}, false)
{%- endmacro %}

{# 备注 describes a change to the filing. The lists write this as `变更内容：…`, but also as
   `原主体名称“…”变更为“…”`, `2024年8月，新增关联产品…`, `2023年12月更新算法公示信息`, etc. #}
{% macro is_change_remark(column) -%}
  coalesce(
    not {{ is_cancellation_remark(column) }}
    and {{ regex_matches(column, '^\\s*变更内容|变更|新增|更新|原(主体|算法|产品)名称') }},
    false
  )
{%- endmacro %}

{# 备注 starts with a month (`2024年8月，…`): the first day of that month, else NULL. #}
{% macro remark_month(column) -%}
  case
    when {{ regex_matches(column, '^\\s*(20[0-9]{2})年([0-9]{1,2})月') }}
      then {{ month_start(
        regex_extract(column, '^\\s*(20[0-9]{2})年([0-9]{1,2})月', 1),
        regex_extract(column, '^\\s*(20[0-9]{2})年([0-9]{1,2})月', 2)
      ) }}
  end
{%- endmacro %}

{# Entity names as a key: stray whitespace next to Chinese text removed, half-width
   parentheses made full-width (同道精英(天津)… and 同道精英（天津）… are one company). #}
{% macro normalize_entity_name(column) -%}
  nullif(trim({{ regex_replace_all(
      "replace(replace(" ~ column ~ ", '(', '（'), ')', '）')",
      '\\s*([^\\x00-\\x7F])\\s*',
      '\\1'
  ) }}), '')
{%- endmacro %}

{# Sort key for parser versions: integers compare numerically, other strings as text. #}
{% macro parser_version_numeric(column) -%}
  {{ safe_cast(column, 'bigint') }}
{%- endmacro %}

{# What a list shows for a filing, as the columns of a filing row (`prefix`: a table alias with its dot):
   two documents of one list show the same content when these are equal. #}
{% macro content_columns(prefix='') -%}
  {{ return([prefix ~ 'algorithm_name', prefix ~ 'role', prefix ~ 'algorithm_category', prefix ~ 'entity_name',
             prefix ~ 'products', prefix ~ 'purpose', prefix ~ 'remark']) }}
{%- endmacro %}

{# The last day a date of `precision` can stand for: a month-precise date (the 1st of its month, as the
   regulator gave only the month) covers its whole month; a day-precise date is that day. #}
{% macro precision_latest(date_column, precision_column) -%}
  case
    when {{ precision_column }} = 'month'
      then cast(date_trunc('month', {{ date_column }}) + interval 1 month - interval 1 day as date)
    else {{ date_column }}
  end
{%- endmacro %}
