{#-
    Incremental models over a growing file feed (calls, transactions): a daily run rebuilds only what can
    have changed, and the result equals a full rebuild.

    What can have changed since the last build: the batches of the re-delivery window (a source may
    re-deliver one of its last 7 batches, and send late records), and any delivery not built yet whatever
    its batch date (a held batch replayed weeks later). A backfill rebuilds from scratch.

    - `window_cutoff()`: the first batch of the window, `YYYY-MM-DD` (the newest batch built minus
      `redelivery_window_days`).
    - `incremental_source(source, key_expr, key_column, is_incremental())` (staging): every version, in any
      batch, of each key seen in the window's or in a new delivery's raw rows, or in the window's built rows.
      Recomputing the latest version over all of a key's versions restores an older one when a re-delivery
      withdraws the newer. The model passes `is_incremental()` itself, so that dbt unit tests can override it.
    - `incremental_rows(relation, key_column, is_incremental())` (facts over staging): the rows of the window
      and the rows not built as they are now (new or changed versions from any batch).
    - `delete_vanished_rows(source)` (staging post-hook): built rows of the window whose raw row is gone (a
      re-delivery that no longer carries a record, with no other version of its key).
    - `delete_vanished_keys(relation, key_column)` (facts post-hook): built keys that staging no longer has.
-#}
{% macro window_cutoff() -%}
    (
        select cast(cast(max(_batch) as date) - {{ var('redelivery_window_days', 7) }} as varchar)
        from {{ this }}
    )
{%- endmacro %}

{% macro incremental_source(source, key_expr, key_column, incremental) -%}
    {%- if incremental %}
        select raw.*
        from {{ source }} as raw
        where {{ key_expr }} in (
            select {{ key_expr }}
            from {{ source }} as raw
            where
                raw._batch >= {{ fraudbrain.window_cutoff() }}
                or raw._delivery_id not in (select distinct _delivery_id from {{ this }})
            union
            select {{ key_column }} from {{ this }} where _batch >= {{ fraudbrain.window_cutoff() }}
        )
    {%- else %}
        select * from {{ source }}
    {%- endif %}
{%- endmacro %}

{% macro incremental_rows(relation, key_column, incremental) -%}
    {%- if incremental %}
        select staged.*
        from {{ relation }} as staged
        where
            staged._batch >= {{ fraudbrain.window_cutoff() }}
            or not exists (
                select 1 from {{ this }} as built
                where
                    built.{{ key_column }} = staged.{{ key_column }}
                    and built._batch = staged._batch
                    and built._line = staged._line
            )
    {%- else %}
        select * from {{ relation }}
    {%- endif %}
{%- endmacro %}

{% macro delete_vanished_rows(source) -%}
    {%- if is_incremental() %}
        delete from {{ this }} as built
        where
            built._batch >= {{ fraudbrain.window_cutoff() }}
            and not exists (
                select 1 from {{ source }} as raw
                where raw._delivery_id = built._delivery_id and raw._file = built._file and raw._line = built._line
            )
    {%- else %}
        select 1
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
