{#-
    Incremental models over a growing file feed (calls, transactions): a daily run rebuilds only what changed
    since the last build, and the result equals a full rebuild.

    A raw row never changes once loaded, except in place by a retention purge (which must not change the
    marts): what changes is which deliveries raw holds. A new day, a late record, a re-delivery, a replayed
    held batch: each is a delivery the built table has not seen; a re-delivery also withdraws the delivery
    it replaces. So the work is exactly the keys of deliveries added or withdrawn since the last build.
    A backfill rebuilds from scratch.

    - `incremental_source(source, key_expr, key_column, is_incremental())` (staging): every version, in any
      batch, of each key in a delivery the table has not built, or in a built delivery raw no longer holds.
      Recomputing the latest version over all of a key's versions restores an older one when a re-delivery
      withdraws the newer. The model passes `is_incremental()` itself, so that dbt unit tests can override it.
    - `delete_withdrawn_rows(source)` (staging post-hook): built rows of a delivery raw no longer holds that
      no version replaced (a re-delivery that no longer carries a record with no other version of its key).
    - `incremental_rows(relation, is_incremental())` (facts over staging): the staging rows of deliveries
      the fact has not built. A table built before facts carried `_delivery_id` takes every row once.
    - `delete_vanished_keys(relation, key_column)` (facts post-hook): built keys that staging no longer has.
-#}
{#- the deliveries a relation holds, as a subquery for `not in` (nulls left out: they would make it null) -#}
{% macro delivery_ids(relation) -%}
    (select distinct held._delivery_id from {{ relation }} as held where held._delivery_id is not null)
{%- endmacro %}

{% macro incremental_source(source, key_expr, key_column, incremental) -%}
    {%- if incremental %}
        select raw.*
        from {{ source }} as raw
        where {{ key_expr }} in (
            select {{ key_expr }}
            from {{ source }} as raw
            where raw._delivery_id not in {{ fraudbrain.delivery_ids(this) }}
            union
            select built.{{ key_column }}
            from {{ this }} as built
            where built._delivery_id not in {{ fraudbrain.delivery_ids(source) }}
        )
    {%- else %}
        select * from {{ source }}
    {%- endif %}
{%- endmacro %}

{% macro delete_withdrawn_rows(source) -%}
    {%- if is_incremental() %}
        delete from {{ this }} where _delivery_id not in {{ fraudbrain.delivery_ids(source) }}
    {%- else %}
        select 1
    {%- endif %}
{%- endmacro %}

{% macro incremental_rows(relation, incremental) -%}
    {%- set built_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list if incremental else [] -%}
    {%- if incremental and '_delivery_id' in built_columns %}
        select staged.*
        from {{ relation }} as staged
        where staged._delivery_id not in {{ fraudbrain.delivery_ids(this) }}
    {%- else %}
        select * from {{ relation }}
    {%- endif %}
{%- endmacro %}

{% macro delete_vanished_keys(relation, key_column) -%}
    {%- if is_incremental() %}
        delete from {{ this }} as built
        where not exists (select 1 from {{ relation }} as staged where staged.{{ key_column }} = built.{{ key_column }})
    {%- else %}
        select 1
    {%- endif %}
{%- endmacro %}
