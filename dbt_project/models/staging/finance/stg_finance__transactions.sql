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
    {{ fraudbrain.incremental_source(
        source('finance', 'transactions'), 'trim(raw.txn_id)', 'txn_id', is_incremental()
    ) }}
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

-- one token per distinct card, joined back (macros/identifiers.sql: distinct_tokens); devices and IPs are
-- nearly unique per transaction, so they are tokenised row by row
card_tokens as (
    {{ fraudbrain.distinct_tokens('source', 'card', [normalise_card('from_card'), normalise_card('to_card')]) }}
),

tokenised as (
    select
        normalised.*,
        from_card_tokens.token as from_card_token,
        to_card_tokens.token as to_card_token
    from normalised
    left join card_tokens as from_card_tokens on normalised.from_card_canonical = from_card_tokens.value
    left join card_tokens as to_card_tokens on normalised.to_card_canonical = to_card_tokens.value
),

renamed as (
    select
        -- ids
        trim(txn_id) as txn_id,
        from_card_token,
        {{ mask_card('from_card_canonical') }} as from_card_masked,
        to_card_token,
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
    from tokenised
)

select * from renamed
