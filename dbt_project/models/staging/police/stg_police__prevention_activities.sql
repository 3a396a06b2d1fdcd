with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'prevention_activities') }}
),

latest as (
    {{ latest_version('source', 'trim(activity_id)', police_version_order()) }}
),

renamed as (
    select
        trim(activity_id) as activity_id,
        trim(unit_code) as unit_code,
        trim(region_code) as region_code,
        lower(trim(kind)) as kind,
        cast({{ to_int('reach') }} as integer) as reach,
        cast({{ to_int('app_registrations') }} as integer) as app_registrations,
        {{ to_local_naive_ts('held_at') }} as held_at,
        updated_ts as updated_at,
        _source,
        _batch,
        _delivery_id,
        _file,
        _line
    from latest
)

select * from renamed
