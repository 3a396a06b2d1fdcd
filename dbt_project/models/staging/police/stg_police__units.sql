with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'units') }}
),

latest as (
    {{ latest_version('source', 'trim(unit_code)', police_version_order()) }}
),

renamed as (
    select
        trim(unit_code) as unit_code,
        trim(name) as unit_name,
        nullif(trim(parent_code), '') as parent_code,
        trim(region_code) as region_code,
        lower(trim(level)) as unit_level,
        updated_ts as updated_at,
        _source,
        _batch,
        _delivery_id,
        _file,
        _line
    from latest
)

select * from renamed
