with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'warnings') }}
),

latest as (
    {{ latest_version('source', 'trim(warning_id)', police_version_order()) }}
),

normalised as (
    select
        *,
        {{ normalise_phone('phone') }} as phone_canonical
    from latest
),

renamed as (
    select
        trim(warning_id) as warning_id,
        trim(unit_code) as unit_code,
        {{ token('phone', 'phone_canonical') }} as phone_token,
        {{ mask_phone('phone_canonical') }} as phone_masked,
        lower(trim(source)) as warning_source,
        lower(trim(outcome)) as outcome,
        {{ to_local_naive_ts('issued_at') }} as issued_at,
        updated_ts as updated_at,
        _source,
        _batch,
        _delivery_id,
        _file,
        _line
    from normalised
)

select * from renamed
