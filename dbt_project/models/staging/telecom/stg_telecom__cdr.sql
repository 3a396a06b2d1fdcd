with source as (
    select * from {{ source('telecom', 'cdr') }}
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

renamed as (
    select
        -- ids
        trim(call_id) as call_id,
        {{ token('phone', 'caller_canonical') }} as caller_token,
        {{ mask_phone('caller_canonical') }} as caller_masked,
        {{ phone_kind('caller_canonical') }} as caller_kind,
        {{ token('phone', 'callee_canonical') }} as callee_token,
        {{ mask_phone('callee_canonical') }} as callee_masked,
        {{ phone_kind('callee_canonical') }} as callee_kind,
        nullif(trim(cell_id), '') as cell_id,
        {{ token('imei', 'imei_canonical') }} as imei_token,
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
    from normalised
)

select * from renamed
