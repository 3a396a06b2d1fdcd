-- Lead packages: for each county unit, its leads with the evidence chain behind each (cards, numbers, cases,
-- amounts, timeline), one row per evidence item, each traceable to its source batch and row.
with clock as (
    select * from {{ ref('int_data_clock') }}
),

regions as (
    select * from {{ ref('dim_region') }}
),

units as (
    select * from {{ ref('dim_unit') }}
),

cases as (
    select case_no, unit_code, _batch, _line, reported_at from {{ ref('stg_police__cases') }}
),

-- two-card suppliers: their cards on money paths and their SIMs named by cases
supplier_cards as (
    select
        l.unit_code,
        'two_card_supplier' as lead_kind,
        l.id_token as subject_token,
        l.id_masked as subject_masked,
        'card_received_case_money' as evidence_kind,
        o.card_token as evidence_token,
        o.card_masked as evidence_masked,
        t.case_no,
        t.traced_amount as amount,
        t.first_arrived_at as event_at,
        'finance.accounts' as source_table,
        o._batch as source_batch,
        o._line as source_line
    from {{ ref('two_card_leads') }} as l
    inner join {{ ref('int_card_ownership') }} as o on l.person_id = o.person_id
    inner join {{ ref('int_case_money_traced') }} as t on o.card_token = t.card_token
),

supplier_sims as (
    select
        l.unit_code,
        'two_card_supplier' as lead_kind,
        l.id_token as subject_token,
        l.id_masked as subject_masked,
        'sim_named_in_case' as evidence_kind,
        o.phone_token as evidence_token,
        o.phone_masked as evidence_masked,
        i.case_no,
        cast(null as decimal(18, 2)) as amount,
        o.activated_at as event_at,
        'telecom.subscribers' as source_table,
        o._batch as source_batch,
        o._line as source_line
    from {{ ref('two_card_leads') }} as l
    inner join {{ ref('int_phone_ownership') }} as o on l.person_id = o.person_id
    inner join {{ ref('int_case_identifiers_extracted') }} as i
        on o.phone_token = i.identifier_token and i.identifier_kind = 'phone'
),

-- gang members: each piece of evidence and the case it concerns
gang_evidence as (
    select
        r.county_unit_code as unit_code,
        'gang_member' as lead_kind,
        g.id_token as subject_token,
        g.name_masked as subject_masked,
        e.evidence || ':' || e.role as evidence_kind,
        cast(null as varchar) as evidence_token,
        cast(null as varchar) as evidence_masked,
        e.case_no,
        cast(null as decimal(18, 2)) as amount,
        c.reported_at as event_at,
        'police.cases' as source_table,
        c._batch as source_batch,
        c._line as source_line
    from {{ ref('gangs') }} as g
    inner join {{ ref('int_gang_evidence_collected') }} as e on g.person_id = e.person_id
    left join cases as c on e.case_no = c.case_no
    left join regions as r on g.home_region_code = r.region_code
    where e.cluster_id is not null
),

-- stop-payment targets: the transfer that moved the case's money onto the card
stop_targets as (
    select
        coalesce(u.county_unit_code, s.unit_code) as unit_code,
        'stop_payment' as lead_kind,
        s.card_token as subject_token,
        s.card_masked as subject_masked,
        'traced_hop_' || cast(s.hop as varchar) as evidence_kind,
        s.card_token as evidence_token,
        s.card_masked as evidence_masked,
        s.case_no,
        s.traced_amount as amount,
        s.first_arrived_at as event_at,
        case when tx.txn_id is null then 'police.case_transfers' else 'finance.transactions' end as source_table,
        coalesce(tx._batch, ct._batch) as source_batch,
        coalesce(tx._line, ct._line) as source_line
    from {{ ref('stop_payment_targets') }} as s
    inner join {{ ref('int_case_money_traced') }} as t on s.case_no = t.case_no and s.card_token = t.card_token
    left join {{ ref('int_transfers_graph') }} as tx on t.via_txn_id = tx.txn_id
    left join (
        select case_no, to_card_token, min(_batch) as _batch, min(_line) as _line
        from {{ ref('stg_police__case_transfers') }}
        group by case_no, to_card_token
    ) as ct on t.hop = 1 and s.case_no = ct.case_no and s.card_token = ct.to_card_token
    left join units as u on s.unit_code = u.unit_code
    where s.priority_rank <= {{ var('lead_stop_payment_top') }}
),

-- warning targets: the calls received from fraud-tied numbers
warning_calls as (
    select
        w.unit_code,
        'warning' as lead_kind,
        w.phone_token as subject_token,
        w.phone_masked as subject_masked,
        'call_from_' || c.caller_kind || '_number' as evidence_kind,
        c.caller_token as evidence_token,
        c.caller_masked as evidence_masked,
        cast(null as varchar) as case_no,
        cast(null as decimal(18, 2)) as amount,
        c.started_at as event_at,
        'telecom.cdr' as source_table,
        c._batch as source_batch,
        c._line as source_line
    from {{ ref('warning_targets') }} as w
    inner join {{ ref('stg_telecom__cdr') }} as c
        on w.phone_token = c.callee_token and c.started_at between w.first_contact_at and w.last_contact_at
    inner join {{ ref('dim_phone') }} as p on c.caller_token = p.phone_token
),

unioned as (
    select * from supplier_cards
    union all
    select * from supplier_sims
    union all
    select * from gang_evidence
    union all
    select * from stop_targets
    union all
    select * from warning_calls
)

select
    {{ surrogate_hash("u.unit_code || ':' || u.lead_kind || ':' || u.subject_token") }} as lead_id,
    u.unit_code,
    u.lead_kind,
    u.subject_token,
    u.subject_masked,
    u.evidence_kind,
    u.evidence_token,
    u.evidence_masked,
    u.case_no,
    u.amount,
    u.event_at,
    coalesce(u.event_at >= clock.as_of - interval '{{ var("lead_new_days") }} days', false) as is_new,
    u.source_table,
    u.source_batch,
    u.source_line,
    {{ token_key_id_column() }}
from unioned as u
cross join clock
where u.unit_code is not null
