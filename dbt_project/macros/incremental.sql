{#-
    Incremental staging of a growing file feed (calls, transactions): a daily run tokenises only what the
    re-delivery window can have changed, and the result equals a full rebuild.

    - `window_cutoff()`: the first batch of the window, as `YYYY-MM-DD` (the newest batch built, minus
      `redelivery_window_days`): a source may re-deliver one of its last 7 batches and send late records.
    - `incremental_source(source, key_expr, key_column, is_incremental())`: the raw rows to rebuild: every version (in any batch) of each
      key seen in the window's raw rows or in the window's staging rows. Recomputing the latest version over
      all of a key's versions restores an older one when a re-delivery drops the newer. The model passes
      `is_incremental()` itself, so that dbt unit tests can override it.
    - `delete_vanished_rows(source)`: a post-hook removing staging rows of the window whose raw row is gone
      (a re-delivery that no longer carries a record, with no other version of its key).
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
            select {{ key_expr }} from {{ source }} as raw where raw._batch >= {{ fraudbrain.window_cutoff() }}
            union
            select {{ key_column }} from {{ this }} where _batch >= {{ fraudbrain.window_cutoff() }}
        )
    {%- else %}
        select * from {{ source }}
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
