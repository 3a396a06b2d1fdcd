{#-
    latest_version: keep one row per contract key, the latest version.
    File sources: later `_batch` wins, then later `_line`. Police: later `updated_at`, then `_batch`, `_line`.
-#}
{% macro latest_version(relation, partition_by, order_by='_batch desc, _line desc') -%}
    {{ return(adapter.dispatch('latest_version', 'fraudbrain')(relation, partition_by, order_by)) }}
{%- endmacro %}

{% macro duckdb__latest_version(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}

{#- Police rows: the later updated_at wins, then the later extraction, then the later row. -#}
{% macro police_version_order() -%}
    updated_ts desc nulls last, _batch desc, _line desc
{%- endmacro %}
