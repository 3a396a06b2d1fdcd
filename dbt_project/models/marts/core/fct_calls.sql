{{
    config(
        materialized='incremental',
        unique_key='call_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ fraudbrain.delete_vanished_keys(ref('stg_telecom__cdr'), 'call_id') }}"
    )
}}
-- One row per call (deduplicated). Incremental: each run adds the deliveries it has not built.
with calls as (
    {{ fraudbrain.incremental_rows(ref('stg_telecom__cdr'), is_incremental()) }}
),

cells as (
    select cell_id, region_code from {{ ref('stg_telecom__cells') }}
)

select
    c.call_id,
    c.caller_token,
    c.caller_masked,
    c.caller_kind,
    c.callee_token,
    c.callee_masked,
    c.callee_kind,
    c.started_at,
    cast(c.started_at as date) as call_date,
    c.duration_s,
    c.duration_is_valid,
    coalesce(c.duration_s > 0, false) as is_answered,
    c.cell_id,
    cl.region_code as cell_region_code,
    c.imei_token,
    c._batch,
    c._line,
    c._delivery_id,
    {{ token_key_id_column() }}
from calls as c
left join cells as cl on c.cell_id = cl.cell_id
