{{
    config(
        materialized='incremental',
        unique_key='txn_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ fraudbrain.delete_vanished_keys(ref('stg_finance__transactions'), 'txn_id') }}"
    )
}}
-- One row per money movement (latest version of each txn_id). Incremental like fct_calls: the deliveries it has
-- not built.
with txns as (
    {{ fraudbrain.incremental_rows(ref('stg_finance__transactions'), is_incremental()) }}
)

select
    txn_id,
    from_card_token,
    from_card_masked,
    to_card_token,
    to_card_masked,
    amount,
    amount_is_valid,
    channel,
    status,
    txn_at,
    cast(txn_at as date) as txn_date,
    device_token,
    ip_token,
    _batch,
    _line,
    _delivery_id,
    {{ token_key_id_column() }}
from txns
