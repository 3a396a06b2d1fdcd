-- Evidence tying a person to fraud, each item tied to the case cluster it concerns:
-- police suspects (their case), card suppliers (the cards victims paid into, the SIMs named in cases),
-- mule holders (cards that passed case money on: int_mule_cards, not every card the money touched),
-- people whose SIM shared a handset with a number named in a case, and controllers: people using for their
-- own card the IP address / device that moved case money out of several other people's cards (the operator
-- of the gang's cards, usually the organizer). Talking on the phone with members counts only when
-- gang_min_member_contacts > 0. Kinship and hometown are never evidence here.
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

mule_cards as (
    select card_token from {{ ref('int_mule_cards') }}
),

card_money as (
    select
        o.person_id,
        case when t.hop = 1 then 'card_supplier' else 'mule' end as role,
        case when t.hop = 1 then 'card_opening' else 'money' end as evidence,
        t.case_no
    from {{ ref('int_case_money_traced') }} as t
    inner join {{ ref('int_card_ownership') }} as o on t.card_token = o.card_token
    where
        o.person_id is not null
        and (t.hop = 1 or t.card_token in (select card_token from mule_cards))
),

-- the IP addresses and devices that moved traced case money on, out of the cards of several holders
moved_case_money as (
    select
        h.case_no,
        o.person_id as holder_person_id,
        g.ip_token,
        g.device_token
    from {{ ref('int_case_money_hops') }} as h
    inner join {{ ref('int_transfers_graph') }} as g on h.via_txn_id = g.txn_id
    inner join {{ ref('int_card_ownership') }} as o on g.from_card_token = o.card_token
    where h.hop >= 2
),

operator_keys as (
    select 'ip' as key_kind, ip_token as key_token, case_no, holder_person_id
    from moved_case_money
    where ip_token is not null
    union all
    select 'device' as key_kind, device_token as key_token, case_no, holder_person_id
    from moved_case_money
    where device_token is not null
),

operator_candidates as (
    select key_kind, key_token
    from operator_keys
    group by key_kind, key_token
    having count(distinct holder_person_id) >= {{ var('gang_operator_min_holders') }}
),

key_uses as (
    select 'ip' as key_kind, g.ip_token as key_token, o.person_id
    from {{ ref('int_transfers_graph') }} as g
    inner join {{ ref('int_card_ownership') }} as o on g.from_card_token = o.card_token
    where g.ip_token in (select oc.key_token from operator_candidates as oc where oc.key_kind = 'ip')
    union
    select 'device' as key_kind, g.device_token as key_token, o.person_id
    from {{ ref('int_transfers_graph') }} as g
    inner join {{ ref('int_card_ownership') }} as o on g.from_card_token = o.card_token
    where g.device_token in (select oc.key_token from operator_candidates as oc where oc.key_kind = 'device')
),

-- a shared network (a public Wi-Fi, a carrier NAT) used by many card holders is no gang operator
operators as (
    select key_kind, key_token
    from key_uses
    where person_id is not null
    group by key_kind, key_token
    having count(distinct person_id) <= {{ var('gang_operator_max_users') }}
),

traced_card_holders as (
    select distinct o.person_id
    from {{ ref('int_case_money_traced') }} as t
    inner join {{ ref('int_card_ownership') }} as o on t.card_token = o.card_token
    where o.person_id is not null
),

operator_users as (
    select distinct
        o.person_id,
        op.key_kind,
        op.key_token
    from {{ ref('int_transfers_graph') }} as g
    inner join {{ ref('int_card_ownership') }} as o on g.from_card_token = o.card_token
    inner join operators as op
        on
            (op.key_kind = 'ip' and g.ip_token = op.key_token)
            or (op.key_kind = 'device' and g.device_token = op.key_token)
    where
        o.person_id is not null
        and o.person_id not in (select person_id from traced_card_holders)
),

controllers as (
    select distinct
        u.person_id,
        'organizer' as role,
        'operator' as evidence,
        k.case_no
    from operator_users as u
    inner join operator_keys as k on u.key_kind = k.key_kind and u.key_token = k.key_token
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

-- the registered holder of a SIM that sat in a handset with a number named in a case. A SIM activated close to
-- the case number was opened for the gang (its holder a SIM supplier); one activated long before or after is
-- somebody's own everyday number in the gang's handset: the caller who used it
shared_device as (
    select distinct
        o.person_id,
        case
            when
                seed_sim.activated_at is not null
                and o.activated_at is not null
                and abs({{ dbt.datediff('seed_sim.activated_at', 'o.activated_at', 'day') }})
                > {{ var('handset_sim_window_days') }}
                then 'caller'
            else 'card_supplier'
        end as role,
        'shared_device' as evidence,
        cp.case_no
    from case_phones as cp
    inner join handsets_used as fraud_handsets on cp.phone_token = fraud_handsets.phone_token
    inner join handsets_used as own_handsets
        on fraud_handsets.imei_token = own_handsets.imei_token and own_handsets.phone_token <> cp.phone_token
    inner join {{ ref('int_phone_ownership') }} as o on own_handsets.phone_token = o.phone_token
    left join {{ ref('int_phone_ownership') }} as seed_sim on cp.phone_token = seed_sim.phone_token
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
    union all
    select * from controllers
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
    where
        {{ var('gang_min_member_contacts') }} > 0
        and c.person_id in (
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
