{{
    config(
        materialized='incremental',
        unique_key='call_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ fraudbrain.delete_withdrawn_rows(source('telecom', 'cdr')) }}"
    )
}}
-- Incremental: a daily run rebuilds the keys of new and withdrawn deliveries only (macros/incremental.sql).
with source as (
    {{ fraudbrain.incremental_source(source('telecom', 'cdr'), 'trim(raw.call_id)', 'call_id', is_incremental()) }}
),

latest as (
    {{ latest_version('source', 'trim(call_id)') }}
),

normalised as (
    select
        *,
        {{ normalise_phone('caller') }} as caller_canonical,
        {{ normalise_phone('callee') }} as callee_canonical,
        {{ normalise_imei('imei') }} as imei_canonical
    from latest
),

-- one token per distinct number and handset, joined back (macros/identifiers.sql: distinct_tokens)
phone_tokens as (
    {{ fraudbrain.distinct_tokens('source', 'phone', [normalise_phone('caller'), normalise_phone('callee')]) }}
),

imei_tokens as (
    {{ fraudbrain.distinct_tokens('source', 'imei', [normalise_imei('imei')]) }}
),

tokenised as (
    select
        normalised.*,
        caller_tokens.token as caller_token,
        callee_tokens.token as callee_token,
        imei_tokens.token as imei_token
    from normalised
    left join phone_tokens as caller_tokens on normalised.caller_canonical = caller_tokens.value
    left join phone_tokens as callee_tokens on normalised.callee_canonical = callee_tokens.value
    left join imei_tokens on normalised.imei_canonical = imei_tokens.value
),

renamed as (
    select
        -- ids
        trim(call_id) as call_id,
        caller_token,
        {{ mask_phone('caller_canonical') }} as caller_masked,
        {{ phone_kind('caller_canonical') }} as caller_kind,
        callee_token,
        {{ mask_phone('callee_canonical') }} as callee_masked,
        {{ phone_kind('callee_canonical') }} as callee_kind,
        nullif(trim(cell_id), '') as cell_id,
        imei_token,
        -- measures
        cast({{ to_int('duration_s') }} as integer) as duration_s,
        coalesce({{ to_int('duration_s') }} >= 0, false) as duration_is_valid,
        -- timestamps
        {{ to_local_naive_ts('start_time') }} as started_at,
        -- lineage
        _source,
        _batch,
        _delivery_id,
        _file,
        _line
    from tokenised
)

select * from renamed
