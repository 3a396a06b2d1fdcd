-- 预警劝阻: people called in the last warning_lookback_hours (as of the latest data time) by numbers tied to
-- fraud, who have not reported a case. Fraud-tied numbers: numbers named by cases, numbers that shared a
-- handset with those, SIMs of two-card suppliers tied to the fraud (not their everyday number), and
-- foreign/network numbers calling in bursts whose callees are reported victims far more often than chance.
with clock as (
    select as_of from {{ ref('int_data_clock') }}
),

calls as (
    select * from {{ ref('stg_telecom__cdr') }}
),

case_numbers as (
    select distinct identifier_token as phone_token, 'case_contact' as evidence
    from {{ ref('int_case_identifiers_extracted') }}
    where identifier_kind = 'phone'
),

-- numbers that shared a handset with a number named in a case (the gang's handsets carry several SIMs, opened
-- together): not a SIM activated long before or after the case number, which is somebody's own everyday number
-- (a caller's, whose family and friends are no targets)
shared_handset as (
    select distinct other.phone_token, 'shared_handset' as evidence
    from {{ ref('int_handsets_used') }} as seed_handsets
    inner join case_numbers as s on seed_handsets.phone_token = s.phone_token
    inner join {{ ref('int_handsets_used') }} as other
        on seed_handsets.imei_token = other.imei_token and other.phone_token <> seed_handsets.phone_token
    left join {{ ref('int_phone_ownership') }} as seed_sim on seed_handsets.phone_token = seed_sim.phone_token
    left join {{ ref('int_phone_ownership') }} as other_sim on other.phone_token = other_sim.phone_token
    where
        seed_sim.activated_at is null
        or other_sim.activated_at is null
        or abs({{ dbt.datediff('seed_sim.activated_at', 'other_sim.activated_at', 'day') }})
        <= {{ var('handset_sim_window_days') }}
),

-- SIMs of two-card suppliers that are tied to the fraud, not the supplier's own everyday number: named in a
-- case, in a handset with a case number, or activated within supplier_sim_window_days of a card of theirs that
-- victims paid into (suppliers open cards and SIMs together)
supplier_cards as (
    select o.person_id, o.opened_at
    from {{ ref('int_card_ownership') }} as o
    inner join {{ ref('int_case_money_traced') }} as t on o.card_token = t.card_token
    where t.hop = 1 and o.person_id is not null
),

supplier_sims as (
    select distinct o.phone_token, 'supplier_sim' as evidence
    from {{ ref('int_phone_ownership') }} as o
    inner join {{ ref('two_card_leads') }} as l on o.person_id = l.person_id
    where
        o.phone_token in (select cn.phone_token from case_numbers as cn)
        or o.phone_token in (select sh.phone_token from shared_handset as sh)
        or exists (
            select 1 from supplier_cards as sc
            where
                sc.person_id = o.person_id
                and o.activated_at between sc.opened_at - interval '{{ var("supplier_sim_window_days") }} days'
                and sc.opened_at + interval '{{ var("supplier_sim_window_days") }} days'
        )
),

seed_numbers as (
    select * from case_numbers
    union
    select * from supplier_sims
),

victim_phones as (
    select distinct phone_token from {{ ref('stg_police__victims') }}
    where phone_token is not null
),

-- how often a called number is a reported victim, over all calls (the chance a hotline hits one)
victim_base_rate as (
    select
        count(distinct case when v.phone_token is not null then c.callee_token end)
        / nullif(count(distinct c.callee_token), 0) as victim_share
    from calls as c
    left join victim_phones as v on c.callee_token = v.phone_token
),

-- foreign or network numbers whose callees are reported victims far more often than chance
-- (burst_min_victim_lift × the base rate): service hotlines call victims too, by chance
victim_callers as (
    select c.caller_token
    from calls as c
    left join victim_phones as v on c.callee_token = v.phone_token
    cross join victim_base_rate as b
    where c.caller_kind in ('foreign', 'network')
    group by c.caller_token, b.victim_share
    having
        count(distinct v.phone_token) > 0
        and count(distinct v.phone_token) / count(distinct c.callee_token)
        >= {{ var('burst_min_victim_lift') }} * b.victim_share
),

bursts as (
    -- ... that also call many different numbers within an hour (cold-call bursts): one row per number
    select distinct phone_token, 'foreign_burst' as evidence
    from (
        select a.caller_token as phone_token
        from calls as a
        inner join calls as b
            on
                a.caller_token = b.caller_token
                and b.started_at between a.started_at and a.started_at + interval '1 hour'
        where
            a.caller_kind in ('foreign', 'network')
            and a.caller_token in (select caller_token from victim_callers)
        group by a.caller_token, a.call_id
        having count(distinct b.callee_token) >= {{ var('burst_min_callees') }}
    ) as burst_calls
),

fraud_number_evidence as (
    select * from seed_numbers
    union
    select * from shared_handset
    union
    select * from bursts
),

fraud_numbers as (
    select distinct phone_token from fraud_number_evidence
),

reported as (
    select distinct phone_token from {{ ref('stg_police__victims') }}
    where phone_token is not null
),

insiders as (
    -- numbers held by suspects or suppliers and the fraud numbers themselves are not potential victims
    select phone_token from fraud_numbers
    union
    select phone_token from {{ ref('stg_police__suspects') }}
    where phone_token is not null
    union
    select phone_token from supplier_sims
),

recent_contacts as (
    select
        c.callee_token as phone_token,
        min(c.callee_masked) as phone_masked,
        count(*) as contacts,
        count(distinct c.caller_token) as fraud_numbers,
        cast(sum(case when c.duration_s > 0 then 1 else 0 end) as bigint) as answered_contacts,
        cast(sum(greatest(coalesce(c.duration_s, 0), 0)) as bigint) as talk_seconds,
        min(c.started_at) as first_contact_at,
        max(c.started_at) as last_contact_at,
        max(c.cell_id) as last_cell_id
    from calls as c
    inner join fraud_numbers as f on c.caller_token = f.phone_token
    cross join clock
    where
        c.started_at > clock.as_of - interval '{{ var("warning_lookback_hours") }} hours'
        and c.started_at <= clock.as_of
    group by c.callee_token
),

contact_evidence as (
    select
        c.callee_token as phone_token,
        string_agg(distinct e.evidence, ',' order by e.evidence) as evidence
    from calls as c
    inner join fraud_number_evidence as e on c.caller_token = e.phone_token
    cross join clock
    where
        c.started_at > clock.as_of - interval '{{ var("warning_lookback_hours") }} hours'
        and c.started_at <= clock.as_of
    group by c.callee_token
),

owners as (
    select * from {{ ref('int_phone_ownership') }}
),

people as (
    select * from {{ ref('dim_person') }}
),

regions as (
    select * from {{ ref('dim_region') }}
),

cells as (
    select * from {{ ref('stg_telecom__cells') }}
),

warned as (
    select w.phone_token, max(w.issued_at) as last_warned_at
    from {{ ref('stg_police__warnings') }} as w
    cross join clock
    where w.issued_at > clock.as_of - interval '{{ var("warning_lookback_hours") }} hours'
    group by w.phone_token
)

select
    r.phone_token,
    r.phone_masked,
    o.person_id as holder_person_id,
    o.id_token as holder_id_token,
    r.contacts,
    r.answered_contacts,
    r.talk_seconds,
    r.fraud_numbers,
    ev.evidence,
    r.first_contact_at,
    r.last_contact_at,
    cast(least(
        100,
        20 * r.fraud_numbers + 10 * r.contacts + 15 * r.answered_contacts + cast(r.talk_seconds / 60 as integer)
        + case when ev.evidence like '%case_contact%' then 20 else 0 end
    ) as integer) as risk_score,
    coalesce(p.home_region_code, o.region_code, ce.region_code) as region_code,
    coalesce(hr.county_unit_code, orr.county_unit_code, cr.county_unit_code) as unit_code,
    w.last_warned_at,
    w.phone_token is not null as already_warned,
    {{ token_key_id_column() }}
from recent_contacts as r
left join contact_evidence as ev on r.phone_token = ev.phone_token
left join owners as o on r.phone_token = o.phone_token
left join people as p on o.person_id = p.person_id
left join cells as ce on r.last_cell_id = ce.cell_id
left join regions as hr on p.home_region_code = hr.region_code
left join regions as orr on o.region_code = orr.region_code
left join regions as cr on ce.region_code = cr.region_code
left join warned as w on r.phone_token = w.phone_token
where
    r.phone_token not in (select phone_token from reported)
    and r.phone_token not in (
        select phone_token from insiders
        where phone_token is not null
    )
