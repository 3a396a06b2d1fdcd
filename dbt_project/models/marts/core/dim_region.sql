-- County-level regions (6-digit GB/T 2260 codes) seen anywhere, with their county and city police units.
with seen as (
    select region_code from {{ ref('stg_police__units') }}
    union
    select region_code from {{ ref('stg_police__cases') }}
    union
    select region_code from {{ ref('stg_telecom__subscribers') }}
    union
    select region_code from {{ ref('stg_finance__accounts') }}
    union
    select region_code from {{ ref('stg_telecom__cells') }}
    union
    select region_code from {{ ref('stg_police__prevention_activities') }}
),

units as (
    select * from {{ ref('stg_police__units') }}
),

regions as (
    select distinct region_code
    from seen
    where {{ full_match('region_code', '[0-9]{6}') }}
)

select
    r.region_code,
    left(r.region_code, 4) || '00' as city_code,
    left(r.region_code, 2) || '0000' as province_code,
    r.region_code like '%00' as is_city_level,
    left(r.region_code, 4) in ('4209', '3306', '1502') as is_pilot_city,
    cu.unit_code as county_unit_code,
    cu.unit_name as county_unit_name,
    ci.unit_code as city_unit_code,
    {{ token_key_id_column() }}
from regions as r
left join units as cu
    on r.region_code = cu.region_code and cu.unit_level = 'county'
left join units as ci
    on left(r.region_code, 4) || '00' = ci.region_code and ci.unit_level = 'city'
