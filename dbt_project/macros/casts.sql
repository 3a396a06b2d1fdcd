{#- Casting raw text (every raw column is VARCHAR) to warehouse types. -#}

{#- money: yuan as DECIMAL(18,2); thousands separators removed; unparseable → null. -#}
{% macro to_money(col) -%}
    {{ return(adapter.dispatch('to_money', 'fraudbrain')(col)) }}
{%- endmacro %}

{% macro duckdb__to_money(col) -%}
    try_cast(replace(trim({{ col }}), ',', '') as decimal(18, 2))
{%- endmacro %}

{% macro to_int(col) -%}
    {{ return(adapter.dispatch('to_int', 'fraudbrain')(col)) }}
{%- endmacro %}

{% macro duckdb__to_int(col) -%}
    try_cast(trim({{ col }}) as bigint)
{%- endmacro %}

{% macro to_decimal(col, precision=18, scale=6) -%}
    {{ return(adapter.dispatch('to_decimal', 'fraudbrain')(col, precision, scale)) }}
{%- endmacro %}

{% macro duckdb__to_decimal(col, precision, scale) -%}
    try_cast(trim({{ col }}) as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{#- naive local timestamps (telecom, police): 'YYYY-MM-DD HH:MM:SS' already in Asia/Shanghai. -#}
{% macro to_local_naive_ts(col) -%}
    {{ return(adapter.dispatch('to_local_naive_ts', 'fraudbrain')(col)) }}
{%- endmacro %}

{% macro duckdb__to_local_naive_ts(col) -%}
    try_cast(replace(trim({{ col }}), 'T', ' ') as timestamp)
{%- endmacro %}

{% macro to_date(col) -%}
    {{ return(adapter.dispatch('to_date', 'fraudbrain')(col)) }}
{%- endmacro %}

{% macro duckdb__to_date(col) -%}
    try_cast(left(trim({{ col }}), 10) as date)
{%- endmacro %}

{#-
    to_local_ts (finance): ISO 8601 with an offset ('+08:00', '+0800', 'Z'), without one (then local time),
    or with a space instead of 'T' → naive local time of Asia/Shanghai (UTC+08:00, no daylight saving).
    Arithmetic on the offset, so the result never depends on the session's TimeZone setting.
-#}
{% macro to_local_ts(col) -%}
    {{ return(adapter.dispatch('to_local_ts', 'fraudbrain')(col)) }}
{%- endmacro %}

{% macro duckdb__to_local_ts(col) -%}
    {%- set s = "replace(trim(" ~ col ~ "), 'T', ' ')" -%}
    {%- set off = "regexp_extract(" ~ s ~ ", '[0-9](Z|[+-][0-9]{2}:?[0-9]{2})$', 1)" -%}
    (try_cast(trim(left({{ s }}, length({{ s }}) - length({{ off }}))) as timestamp)
        + (480 - (case
            when {{ off }} = '' then 480
            when {{ off }} = 'Z' then 0
            else (case when left({{ off }}, 1) = '-' then -1 else 1 end)
                * (cast(substr({{ off }}, 2, 2) as integer) * 60 + cast(right({{ off }}, 2) as integer))
        end)) * interval 1 minute)
{%- endmacro %}

{#- month: first day of the month (DATE) of a local timestamp. -#}
{% macro month_of(ts) -%}
    cast({{ dbt.date_trunc('month', ts) }} as date)
{%- endmacro %}
