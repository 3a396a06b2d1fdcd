-- Every phone number seen (SIM registrations, calls, cases, warnings), with its registered holder when known.
with seen as (
    select phone_token, phone_masked from {{ ref('stg_telecom__subscribers') }}
    union
    select caller_token, caller_masked from {{ ref('stg_telecom__cdr') }}
    union
    select callee_token, callee_masked from {{ ref('stg_telecom__cdr') }}
    union
    select phone_token, phone_masked from {{ ref('stg_police__victims') }}
    union
    select phone_token, phone_masked from {{ ref('stg_police__suspects') }}
    union
    select phone_token, phone_masked from {{ ref('stg_police__warnings') }}
    union
    select identifier_token, identifier_masked from {{ ref('int_case_identifiers_extracted') }}
    where identifier_kind = 'phone'
),

phones as (
    select phone_token, min(phone_masked) as phone_masked
    from seen
    where phone_token is not null
    group by phone_token
),

owners as (
    select * from {{ ref('int_phone_ownership') }}
),

case_phones as (
    select identifier_token as phone_token, count(distinct case_no) as cases_named_in
    from {{ ref('int_case_identifiers_extracted') }}
    where identifier_kind = 'phone'
    group by identifier_token
)

select
    p.phone_token,
    p.phone_masked,
    case
        when left(p.phone_masked, 1) = '+' then 'foreign'
        when o.phone_token is not null or length(p.phone_masked) = 11 then 'mobile'
        else 'other'
    end as phone_kind,
    o.carrier,
    coalesce(o.phone_is_mvno, false) as is_mvno,
    o.region_code as registration_region_code,
    o.status as registration_status,
    o.activated_at,
    o.person_id as holder_person_id,
    o.id_token as holder_id_token,
    coalesce(c.cases_named_in, 0) as cases_named_in,
    {{ token_key_id_column() }}
from phones as p
left join owners as o on p.phone_token = o.phone_token
left join case_phones as c on p.phone_token = c.phone_token
