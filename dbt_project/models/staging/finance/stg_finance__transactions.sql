{{
    config(
        materialized='incremental',
        unique_key='txn_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ fraudbrain.delete_withdrawn_rows(source('finance', 'transactions')) }}"
    )
}}
-- Incremental: a daily run rebuilds the keys of new and withdrawn deliveries only (macros/incremental.sql).
with source as (
    {{ fraudbrain.incremental_source(source('finance', 'transactions'), 'trim(raw.txn_id)', 'txn_id', is_incremental()) }}
),

latest as (
    {{ latest_version('source', 'trim(txn_id)') }}
),

normalised as (
    select
        *,
        {{ normalise_card('from_card') }} as from_card_canonical,
        {{ normalise_card('to_card') }} as to_card_canonical
    from latest
),

renamed as (
    select
        -- ids
        trim(txn_id) as txn_id,
        {{ token('card', 'from_card_canonical') }} as from_card_token,
        {{ mask_card('from_card_canonical') }} as from_card_masked,
        {{ token('card', 'to_card_canonical') }} as to_card_token,
        {{ mask_card('to_card_canonical') }} as to_card_masked,
        {{ token('device', normalise_text_id('device_id')) }} as device_token,
        {{ token('ip', normalise_text_id('ip')) }} as ip_token,
        -- amounts
        {{ to_money('amount') }} as amount,
        {{ to_money('amount') }} is not null as amount_is_valid,
        -- attributes
        lower(trim(channel)) as channel,
        lower(trim(status)) as status,
        -- timestamps
        {{ to_local_ts('ts') }} as txn_at,
        -- lineage
        _source,
        _batch,
        _delivery_id,
        _file,
        _line
    from normalised
)

select * from renamed
