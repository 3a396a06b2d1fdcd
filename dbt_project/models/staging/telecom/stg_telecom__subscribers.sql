with source as (
    select * from {{ source('telecom', 'subscribers') }}
),

normalised as (
    select
        *,
        {{ normalise_phone('msisdn') }} as msisdn_canonical,
        {{ normalise_id('holder_id_no') }} as holder_id_canonical,
        {{ to_local_naive_ts('activated_at') }} as activated_ts
    from source
),

keyed as (
    -- versions are told apart by the token: a purged version (flows/privacy/purge.py) keeps it, not the number
    select
        *,
        {{ token('phone', 'msisdn_canonical') }} as msisdn_token
    from normalised
),

latest as (
    {{ latest_version('keyed', 'msisdn_token, activated_ts') }}
),

renamed as (
    select
        -- ids
        msisdn_token as phone_token,
        {{ mask_phone('msisdn_canonical') }} as phone_masked,
        {{ canonical_out('msisdn_canonical') }} as msisdn_canonical,
        {{ phone_is_valid('msisdn_canonical') }} as phone_is_valid,
        {{ phone_is_mvno('msisdn_canonical') }} as phone_is_mvno,
        nullif(trim({{ unless_purged('imsi') }}), '') as imsi,
        {{ token('id', 'holder_id_canonical') }} as holder_id_token,
        {{ mask_id('holder_id_canonical') }} as holder_id_masked,
        {{ canonical_out('holder_id_canonical') }} as holder_id_canonical,
        {{ id_is_valid('holder_id_canonical') }} as holder_id_is_valid,
        trim(holder_name) as holder_name,
        {{ mask_name('holder_name') }} as holder_name_masked,
        -- attributes
        upper(trim(carrier)) as carrier,
        nullif(trim(outlet_id), '') as outlet_id,
        trim(region_code) as region_code,
        cast({{ to_int('status') }} as integer) as status,
        -- timestamps
        activated_ts as activated_at,
        {{ to_local_naive_ts('status_changed_at') }} as status_changed_at,
        -- lineage
        _source,
        _batch,
        _delivery_id,
        _file,
        _line
    from latest
)

select * from renamed
