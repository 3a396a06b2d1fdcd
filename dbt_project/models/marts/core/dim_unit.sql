with units as (
    select * from {{ ref('stg_police__units') }}
),

with_county as (
    select
        u.unit_code,
        u.unit_name,
        u.parent_code,
        u.region_code,
        u.unit_level,
        case
            when u.unit_level = 'county' then u.unit_code
            when u.unit_level = 'station' and p.unit_level = 'county' then p.unit_code
        end as county_unit_code,
        case
            when u.unit_level = 'city' then u.unit_code
            when p.unit_level = 'city' then p.unit_code
            else p.parent_code
        end as city_unit_code
    from units as u
    left join units as p
        on u.parent_code = p.unit_code
)

select
    unit_code,
    unit_name,
    parent_code,
    region_code,
    unit_level,
    county_unit_code,
    city_unit_code,
    {{ token_key_id_column() }}
from with_county
