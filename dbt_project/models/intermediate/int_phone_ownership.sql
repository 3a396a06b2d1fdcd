-- Who holds each phone number: the latest real-name registration of the number, resolved to a person.
with subscribers as (
    select * from {{ ref('stg_telecom__subscribers') }}
),

people as (
    select source_key, person_id, id_token
    from {{ ref('int_identity_resolved') }}
    where source_table = 'telecom.subscribers'
),

registrations as (
    select
        s.phone_token,
        s.phone_masked,
        s.phone_is_valid,
        s.phone_is_mvno,
        s.carrier,
        s.outlet_id,
        s.region_code,
        s.status,
        s.activated_at,
        s.status_changed_at,
        p.person_id,
        p.id_token,
        s._batch,
        s._line,
        row_number() over (partition by s.phone_token order by s.activated_at desc, s._batch desc, s._line desc)
            as registration_rank,
        count(*) over (partition by s.phone_token) as registrations
    from subscribers as s
    left join people as p
        on s.phone_token || '@' || cast(s.activated_at as varchar) = p.source_key
)

select * exclude (registration_rank)
from registrations
where registration_rank = 1
