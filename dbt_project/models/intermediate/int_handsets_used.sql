-- Which number used which handset. The IMEI of a call record is the subscriber end's: the caller when the
-- caller is a registered mobile subscriber, otherwise the callee (foreign, network and unregistered callers
-- reach a subscriber's handset). A mobile caller missing from the subscriber feed (a record quarantined or
-- not yet delivered) would hand its own handset to everyone it calls: a handset seen only on calls a number
-- received is its own only when its own calls agree (or it never calls).
with calls as (
    select * from {{ ref('stg_telecom__cdr') }}
    where imei_token is not null
),

subscribers as (
    select distinct phone_token from {{ ref('stg_telecom__subscribers') }}
),

sided as (
    select
        case
            when c.caller_kind = 'mobile' and s.phone_token is not null then c.caller_token
            else c.callee_token
        end as phone_token,
        (c.caller_kind = 'mobile' and s.phone_token is not null) as on_own_call,
        c.imei_token,
        c.started_at
    from calls as c
    left join subscribers as s on c.caller_token = s.phone_token
),

own_handsets as (
    select distinct phone_token, imei_token from sided where on_own_call
),

callers as (
    select distinct phone_token from own_handsets
),

consistent as (
    select sided.*
    from sided
    where
        sided.on_own_call
        or sided.phone_token not in (select callers.phone_token from callers)
        or exists (
            select 1 from own_handsets as o
            where o.phone_token = sided.phone_token and o.imei_token = sided.imei_token
        )
)

select
    phone_token,
    imei_token,
    count(*) as calls,
    min(started_at) as first_seen_at,
    max(started_at) as last_seen_at
from consistent
where phone_token is not null
group by phone_token, imei_token
