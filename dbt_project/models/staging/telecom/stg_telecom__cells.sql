with source as (
    select * from {{ source('telecom', 'cells') }}
),

latest as (
    {{ latest_version('source', 'trim(cell_id)') }}
),

renamed as (
    select
        trim(cell_id) as cell_id,
        trim(region_code) as region_code,
        {{ to_decimal('lon', 9, 6) }} as lon,
        {{ to_decimal('lat', 9, 6) }} as lat,
        _source,
        _batch,
        _delivery_id,
        _file,
        _line
    from latest
)

select * from renamed
