with source as (
    select * from {{ source('finance', 'accounts') }}
),

normalised as (
    select
        *,
        {{ normalise_card('card_no') }} as card_canonical,
        {{ normalise_id('holder_id_no') }} as holder_id_canonical,
        {{ normalise_phone('holder_phone') }} as holder_phone_canonical
    from source
),

keyed as (
    -- versions are told apart by the token: a purged version (flows/privacy/purge.py) keeps it, not the number
    select
        *,
        {{ token('card', 'card_canonical') }} as card_token
    from normalised
),

latest as (
    {{ latest_version('keyed', 'card_token') }}
),

renamed as (
    select
        -- ids
        card_token,
        {{ mask_card('card_canonical') }} as card_masked,
        {{ canonical_out('card_canonical') }} as card_canonical,
        {{ card_luhn_ok('card_canonical') }} as card_luhn_ok,
        {{ token('id', 'holder_id_canonical') }} as holder_id_token,
        {{ mask_id('holder_id_canonical') }} as holder_id_masked,
        {{ canonical_out('holder_id_canonical') }} as holder_id_canonical,
        {{ id_is_valid('holder_id_canonical') }} as holder_id_is_valid,
        trim(holder_name) as holder_name,
        {{ mask_name('holder_name') }} as holder_name_masked,
        {{ token('phone', 'holder_phone_canonical') }} as holder_phone_token,
        {{ mask_phone('holder_phone_canonical') }} as holder_phone_masked,
        -- attributes
        upper(trim(bank_code)) as bank_code,
        nullif(trim(branch_code), '') as branch_code,
        trim(region_code) as region_code,
        upper(trim(account_class)) as account_class,
        lower(trim(status)) as status,
        -- timestamps
        {{ to_local_ts('opened_at') }} as opened_at,
        {{ to_local_ts('updated_at') }} as updated_at,
        -- lineage
        _source,
        _batch,
        _delivery_id,
        _file,
        _line
    from latest
)

select * from renamed
