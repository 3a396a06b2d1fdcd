-- One row per person supplying bank or phone cards ("two cards") to fraud: their holdings, the signals that
-- fired, a score and the county unit they belong to. A person is listed when a card or SIM of theirs is
-- tied to fraud and the score reaches two_card_min_score (or the police already name them a card supplier).
with people as (
    select * from {{ ref('dim_person') }}
),

cards as (
    select * from {{ ref('int_card_ownership') }}
    where person_id is not null
),

sims as (
    select * from {{ ref('stg_telecom__subscribers') }}
),

sim_people as (
    select s.*, o.person_id
    from sims as s
    inner join {{ ref('int_identity_resolved') }} as o
        on
            o.source_table = 'telecom.subscribers'
            and s.phone_token || '@' || cast(s.activated_at as varchar) = o.source_key
),

traced as (
    select card_token, min(hop) as min_hop
    from {{ ref('int_case_money_traced') }}
    group by card_token
),

fraud_phones as (
    select distinct identifier_token as phone_token
    from {{ ref('int_case_identifiers_extracted') }}
    where identifier_kind = 'phone'
),

card_signals as (
    select
        c.person_id,
        count(*) as bank_cards,
        count(distinct case when t.card_token is not null then c.card_token end) as fraud_cards,
        count(distinct case when t.min_hop = 1 then c.card_token end) as cards_receiving_victim_money,
        max(per_bank.class_one_cards) as max_class_one_per_bank,
        count(distinct case
            when c.account_class in ('II', 'III') and c.region_code <> p.home_region_code then c.card_token
        end) as cards_opened_away,
        max(burst.cards_in_24h) as max_cards_opened_in_24h
    from cards as c
    left join people as p on c.person_id = p.person_id
    left join traced as t on c.card_token = t.card_token
    left join (
        select person_id, bank_code, count(*) as class_one_cards
        from cards
        where account_class = 'I'
        group by person_id, bank_code
    ) as per_bank on c.person_id = per_bank.person_id and c.bank_code = per_bank.bank_code
    left join (
        select
            a.person_id,
            a.card_token,
            count(*) as cards_in_24h
        from cards as a
        inner join cards as b
            on
                a.person_id = b.person_id
                and b.opened_at between a.opened_at and a.opened_at + interval '24 hours'
        group by a.person_id, a.card_token
    ) as burst on c.person_id = burst.person_id and c.card_token = burst.card_token
    group by c.person_id
),

sim_signals as (
    select
        s.person_id,
        count(distinct s.phone_token) as sims,
        count(distinct case when f.phone_token is not null then s.phone_token end) as fraud_sims,
        count(distinct case when s.phone_is_mvno then s.phone_token end) as voip_sims,
        max(per_carrier.carrier_sims) as max_sims_per_carrier
    from sim_people as s
    left join fraud_phones as f on s.phone_token = f.phone_token
    left join (
        select person_id, carrier, count(distinct phone_token) as carrier_sims
        from sim_people
        where status = 1
        group by person_id, carrier
    ) as per_carrier on s.person_id = per_carrier.person_id
    group by s.person_id
),

opened_together as (
    select
        c.person_id,
        count(distinct c.card_token) as cards_opened_with_sim
    from cards as c
    inner join sim_people as s
        on
            c.person_id = s.person_id
            and c.region_code = s.region_code
            and s.activated_at between c.opened_at - interval '2 hours' and c.opened_at + interval '2 hours'
    group by c.person_id
),

named_suppliers as (
    select distinct r.person_id
    from {{ ref('stg_police__suspects') }} as s
    inner join {{ ref('int_identity_resolved') }} as r
        on r.source_table = 'police.suspects' and r.source_key = s.suspect_no
    where s.role = 'card_supplier'
),

combined as (
    select
        p.person_id,
        p.id_token,
        p.id_masked,
        p.name_masked,
        p.home_region_code,
        coalesce(cs.bank_cards, 0) as bank_cards,
        coalesce(ss.sims, 0) as sims,
        coalesce(cs.fraud_cards, 0) as fraud_cards,
        coalesce(ss.fraud_sims, 0) as fraud_sims,
        coalesce(cs.bank_cards, 0) >= 5 or coalesce(cs.max_class_one_per_bank, 0) > 1 as sig_cards_over_limit,
        coalesce(ss.sims, 0) >= 20 or coalesce(ss.max_sims_per_carrier, 0) > 5 as sig_sims_over_limit,
        coalesce(cs.max_cards_opened_in_24h, 0) >= 3 as sig_batch_openings,
        coalesce(cs.cards_opened_away, 0) > 0 as sig_cards_opened_away,
        coalesce(ss.voip_sims, 0) > 0 as sig_voip_sims,
        coalesce(ot.cards_opened_with_sim, 0) > 0 as sig_sim_and_card_together,
        coalesce(cs.cards_receiving_victim_money, 0) > 0 as sig_cards_receive_victim_money,
        coalesce(ss.fraud_sims, 0) > 0 as sig_sims_named_in_cases,
        ns.person_id is not null as named_card_supplier
    from people as p
    left join card_signals as cs on p.person_id = cs.person_id
    left join sim_signals as ss on p.person_id = ss.person_id
    left join opened_together as ot on p.person_id = ot.person_id
    left join named_suppliers as ns on p.person_id = ns.person_id
),

scored as (
    select
        *,
        (case when sig_cards_over_limit then 2 else 0 end)
        + (case when sig_sims_over_limit then 2 else 0 end)
        + (case when sig_batch_openings then 1 else 0 end)
        + (case when sig_cards_opened_away then 1 else 0 end)
        + (case when sig_voip_sims then 1 else 0 end)
        + (case when sig_sim_and_card_together then 1 else 0 end)
        + (case when sig_cards_receive_victim_money then 3 else 0 end)
        + (case when sig_sims_named_in_cases then 3 else 0 end)
        + (case when named_card_supplier then 2 else 0 end) as score
    from combined
),

units as (
    select * from {{ ref('dim_region') }}
)

select
    s.person_id,
    s.id_token,
    s.id_masked,
    s.name_masked,
    s.home_region_code,
    s.bank_cards,
    s.sims,
    s.fraud_cards,
    s.fraud_sims,
    s.sig_cards_over_limit,
    s.sig_sims_over_limit,
    s.sig_batch_openings,
    s.sig_cards_opened_away,
    s.sig_voip_sims,
    s.sig_sim_and_card_together,
    s.sig_cards_receive_victim_money,
    s.sig_sims_named_in_cases,
    s.named_card_supplier,
    s.score,
    u.county_unit_code as unit_code,
    {{ token_key_id_column() }}
from scored as s
left join units as u on s.home_region_code = u.region_code
where
    (s.fraud_cards + s.fraud_sims > 0 and s.score >= {{ var('two_card_min_score') }})
    or s.named_card_supplier
