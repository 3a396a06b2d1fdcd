-- Which number used which handset. The IMEI of a call record is the subscriber end's: the caller when the
-- caller is a registered mobile subscriber, otherwise the callee (foreign, network and unregistered callers
-- reach a subscriber's handset).
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
        c.imei_token,
        c.started_at
    from calls as c
    left join subscribers as s on c.caller_token = s.phone_token
)

select
    phone_token,
    imei_token,
    count(*) as calls,
    min(started_at) as first_seen_at,
    max(started_at) as last_seen_at
from sided
where phone_token is not null
group by phone_token, imei_token
