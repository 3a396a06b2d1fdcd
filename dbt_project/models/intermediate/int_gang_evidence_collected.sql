-- Evidence tying a person to fraud, each item tied to the case cluster it concerns:
-- police suspects (their case), card suppliers (their cards/SIMs in cases), mule holders (money through their
-- cards), and people whose own phone shared a handset with a number named in a case (callers).
-- Kinship and hometown are never evidence here.
with resolved as (
    select * from {{ ref('int_identity_resolved') }}
),

clusters as (
    select * from {{ ref('int_cases_clustered') }}
),

suspects as (
    select
        r.person_id,
        s.role,
        'police_suspect' as evidence,
        s.case_no
    from {{ ref('stg_police__suspects') }} as s
    inner join resolved as r
        on r.source_table = 'police.suspects' and r.source_key = s.suspect_no
),

card_money as (
    select
        o.person_id,
        case when t.hop = 1 then 'card_supplier' else 'mule' end as role,
        case when t.hop = 1 then 'card_opening' else 'money' end as evidence,
        t.case_no
    from {{ ref('int_case_money_traced') }} as t
    inner join {{ ref('int_card_ownership') }} as o on t.card_token = o.card_token
    where o.person_id is not null
),

case_phones as (
    select distinct case_no, identifier_token as phone_token
    from {{ ref('int_case_identifiers_extracted') }}
    where identifier_kind = 'phone'
),

sim_supply as (
    select
        o.person_id,
        'card_supplier' as role,
        'sim_opening' as evidence,
        cp.case_no
    from case_phones as cp
    inner join {{ ref('int_phone_ownership') }} as o on cp.phone_token = o.phone_token
    where o.person_id is not null
),

handsets_used as (
    select phone_token, imei_token from {{ ref('int_handsets_used') }}
),

shared_device as (
    select distinct
        o.person_id,
        'caller' as role,
        'shared_device' as evidence,
        cp.case_no
    from case_phones as cp
    inner join handsets_used as fraud_handsets on cp.phone_token = fraud_handsets.phone_token
    inner join handsets_used as own_handsets
        on fraud_handsets.imei_token = own_handsets.imei_token and own_handsets.phone_token <> cp.phone_token
    inner join {{ ref('int_phone_ownership') }} as o on own_handsets.phone_token = o.phone_token
    where o.person_id is not null
),

direct as (
    select * from suspects
    union all
    select * from card_money
    union all
    select * from sim_supply
    union all
    select * from shared_device
),

-- calls: a person whose own phone talked with the own phones of two or more people with direct evidence
-- (fraud-tied SIMs excluded: victims are called from those). One call partner, e.g. a relative, is not enough.
fraud_tied_phones as (
    select phone_token from case_phones
    union
    select own_handsets.phone_token
    from case_phones as cp
    inner join handsets_used as fraud_handsets on cp.phone_token = fraud_handsets.phone_token
    inner join handsets_used as own_handsets on fraud_handsets.imei_token = own_handsets.imei_token
),

own_phones as (
    select o.phone_token, o.person_id
    from {{ ref('int_phone_ownership') }} as o
    where
        o.person_id is not null
        and o.phone_token not in (select phone_token from fraud_tied_phones)
),

call_partners as (
    select distinct caller_token as phone_a, callee_token as phone_b from {{ ref('stg_telecom__cdr') }}
    union
    select distinct callee_token, caller_token from {{ ref('stg_telecom__cdr') }}
),

victims as (
    select distinct r.person_id
    from {{ ref('int_identity_resolved') }} as r
    where r.source_table = 'police.victims'
),

member_cases as (
    select distinct person_id, case_no from direct where case_no is not null
),

called_members as (
    select
        mine.person_id,
        theirs.person_id as member_id
    from call_partners as cp
    inner join own_phones as mine on cp.phone_a = mine.phone_token
    inner join own_phones as theirs on cp.phone_b = theirs.phone_token
    where
        theirs.person_id in (select person_id from member_cases)
        and mine.person_id not in (select person_id from member_cases)
        and mine.person_id not in (select person_id from victims)
        and mine.person_id <> theirs.person_id
),

call_contacts as (
    select
        c.person_id,
        'caller' as role,
        'calls' as evidence,
        mc.case_no
    from called_members as c
    inner join member_cases as mc on c.member_id = mc.person_id
    where c.person_id in (
        select person_id from called_members
        group by person_id
        having count(distinct member_id) >= {{ var('gang_min_member_contacts') }}
    )
),

unioned as (
    select * from direct
    union all
    select * from call_contacts
)

select distinct
    u.person_id,
    u.role,
    u.evidence,
    u.case_no,
    c.cluster_id
from unioned as u
left join clusters as c on u.case_no = c.case_no
