-- Every dimension of the anti-fraud index per county region and month, before scoring (long form):
-- one row per region, month and dimension of the configuration seed anti_fraud_index_dimensions.
with clock as (
    select * from {{ ref('int_data_clock') }}
),

counties as (
    select distinct region_code, unit_code
    from {{ ref('stg_police__units') }}
    where unit_level = 'county'
),

unit_region as (
    select unit_code, region_code from {{ ref('stg_police__units') }}
),

month_bounds as (
    select
        least(min({{ month_of('reported_at') }}), max(clock.as_of_month)) as first_month,
        max(clock.as_of_month) as last_month
    from {{ ref('stg_police__cases') }}
    cross join clock
),

months as (
    select cast(unnest(generate_series(first_month, last_month, interval 1 month)) as date) as month
    from month_bounds
),

grid as (
    select c.region_code, m.month
    from counties as c
    cross join months as m
),

kpi as (
    select * from {{ ref('kpi_region_month') }}
),

residents as (
    select region_code, count(*) as residents
    from {{ ref('stg_police__residents') }}
    group by 1
),

cases as (
    select * from {{ ref('fct_cases') }}
),

case_extras as (
    select
        c.region_code,
        c.month,
        count(distinct c.fraud_type) as fraud_types,
        count(distinct case when c.cluster_size >= {{ var('serial_cluster_size') }} then c.case_no end)
            as serial_cases,
        count(distinct case when v.age >= 60 then v.case_no || '#' || cast(v.seq as varchar) end) as elderly_victims
    from cases as c
    left join {{ ref('stg_police__victims') }} as v on c.case_no = v.case_no
    group by 1, 2
),

prevention as (
    select
        region_code,
        {{ month_of('held_at') }} as month,
        count(*) as activities,
        sum(reach) as reach,
        sum(app_registrations) as app_registrations,
        count(distinct kind) as activity_kinds,
        sum(case when kind = 'door_to_door' then 1 else 0 end) as door_to_door
    from {{ ref('stg_police__prevention_activities') }}
    group by 1, 2
),

stop_requests as (
    select
        u.region_code,
        {{ month_of('sp.requested_at') }} as month,
        count(*) as requested,
        sum(case when sp.status = 'executed' then 1 else 0 end) as executed
    from {{ ref('stg_police__stop_payments') }} as sp
    inner join unit_region as u on sp.unit_code = u.unit_code
    group by 1, 2
),

suppliers as (
    select home_region_code as region_code, count(*) as two_card_suppliers
    from {{ ref('two_card_leads') }}
    group by 1
),

gang_members as (
    select home_region_code as region_code, count(*) as gang_members
    from {{ ref('gangs') }}
    group by 1
),

unwarned as (
    select region_code, count(*) as unwarned_targets
    from {{ ref('warning_targets') }}
    where not already_warned
    group by 1
),

mule_cards as (
    select o.region_code, {{ month_of('o.opened_at') }} as month, count(*) as mule_cards_opened
    from {{ ref('mule_accounts') }} as m
    inner join {{ ref('int_card_ownership') }} as o on m.card_token = o.card_token
    group by 1, 2
),

fraud_sims as (
    select o.region_code, {{ month_of('o.activated_at') }} as month, count(*) as fraud_sims_opened
    from {{ ref('int_phone_ownership') }} as o
    where
        o.phone_token in (
            select identifier_token from {{ ref('int_case_identifiers_extracted') }}
            where identifier_kind = 'phone'
        )
    group by 1, 2
),

away_cards as (
    select o.region_code, {{ month_of('o.opened_at') }} as month, count(*) as away_cards_opened
    from {{ ref('int_card_ownership') }} as o
    inner join {{ ref('int_identity_resolved') }} as r
        on r.source_table = 'finance.accounts' and r.source_key = o.card_token
    where o.account_class in ('II', 'III') and r.id_region_code <> o.region_code
    group by 1, 2
),

tasks as (
    select
        u.region_code,
        {{ month_of('t.issued_at') }} as month,
        count(*) as tasks_issued,
        sum(case when t.completed_at is not null and t.completed_at <= t.due_at then 1 else 0 end) as on_time,
        sum(case when t.completed_at is null and t.due_at < clock.as_of then 1 else 0 end) as overdue_open_tasks,
        avg(case when t.completed_at is not null then epoch(t.completed_at - t.issued_at) / 3600.0 end)
            as completion_hours,
        sum(case when t.kind = 'lead_followup' and t.completed_at is not null then 1 else 0 end)
            as lead_followups_done
    from {{ ref('stg_police__supervision_tasks') }} as t
    inner join unit_region as u on t.unit_code = u.unit_code
    cross join clock
    group by 1, 2
),

wide as (
    select
        g.region_code,
        g.month,
        -- incidence
        coalesce(k.cases, 0) as cases,
        coalesce(k.losses, 0) as losses,
        coalesce(k.major_cases, 0) as major_cases,
        coalesce(k.cases, 0) * 10000.0 / nullif(r.residents, 0) as cases_per_10k_residents,
        coalesce(k.losses / nullif(k.cases, 0), 0) as loss_per_case,
        coalesce(ce.elderly_victims, 0) as elderly_victims,
        coalesce(ce.serial_cases, 0) as serial_cases,
        coalesce(ce.fraud_types, 0) as fraud_types,
        -- prevention
        coalesce(p.activities, 0) as activities,
        coalesce(p.reach, 0) as reach,
        coalesce(p.app_registrations, 0) as app_registrations,
        coalesce(p.reach, 0) * 1.0 / nullif(r.residents, 0) as reach_per_resident,
        coalesce(p.app_registrations, 0) * 10000.0 / nullif(r.residents, 0) as app_registrations_per_10k,
        coalesce(p.activity_kinds, 0) as activity_kinds,
        coalesce(p.door_to_door, 0) as door_to_door,
        -- strikes
        coalesce(k.solved, 0) as solved,
        k.solve_rate,
        coalesce(k.suspects_arrested, 0) as suspects_arrested,
        coalesce(k.stop_payment_accounts, 0) as stop_payment_accounts,
        coalesce(k.stop_payment_amount, 0) as stop_payment_amount,
        coalesce(k.recovered_amount, 0) as recovered_amount,
        k.recovered_amount / nullif(k.losses, 0) as recovery_rate,
        sr.executed * 1.0 / nullif(sr.requested, 0) as stop_payment_success_rate,
        coalesce(k.warnings_dissuaded, 0) as warnings_dissuaded,
        k.warnings_dissuaded * 1.0 / nullif(k.warnings_issued, 0) as dissuasion_rate,
        -- governance (people-level leads count in the month of the latest data)
        case when g.month = clock.as_of_month then coalesce(s.two_card_suppliers, 0) else 0 end
            as two_card_suppliers,
        coalesce(mc.mule_cards_opened, 0) as mule_cards_opened,
        coalesce(fs.fraud_sims_opened, 0) as fraud_sims_opened,
        coalesce(ac.away_cards_opened, 0) as away_cards_opened,
        case when g.month = clock.as_of_month then coalesce(gm.gang_members, 0) else 0 end as gang_members,
        case when g.month = clock.as_of_month then coalesce(uw.unwarned_targets, 0) else 0 end as unwarned_targets,
        -- supervision
        coalesce(t.tasks_issued, 0) as tasks_issued,
        t.on_time * 1.0 / nullif(t.tasks_issued, 0) as on_time_rate,
        coalesce(t.overdue_open_tasks, 0) as overdue_open_tasks,
        t.completion_hours,
        coalesce(t.lead_followups_done, 0) as lead_followups_done
    from grid as g
    cross join clock
    left join kpi as k on g.region_code = k.region_code and g.month = k.month
    left join residents as r on g.region_code = r.region_code
    left join case_extras as ce on g.region_code = ce.region_code and g.month = ce.month
    left join prevention as p on g.region_code = p.region_code and g.month = p.month
    left join stop_requests as sr on g.region_code = sr.region_code and g.month = sr.month
    left join suppliers as s on g.region_code = s.region_code
    left join gang_members as gm on g.region_code = gm.region_code
    left join unwarned as uw on g.region_code = uw.region_code
    left join mule_cards as mc on g.region_code = mc.region_code and g.month = mc.month
    left join fraud_sims as fs on g.region_code = fs.region_code and g.month = fs.month
    left join away_cards as ac on g.region_code = ac.region_code and g.month = ac.month
    left join tasks as t on g.region_code = t.region_code and g.month = t.month
),

as_text as (
    -- undefined values (a rate without a denominator) stay as 'NA' through the unpivot, which drops nulls
    select
        region_code,
        month,
        coalesce(cast(columns(* exclude (region_code, month)) as varchar), 'NA')
    from wide
),

long as (
    unpivot as_text
    on columns(* exclude (region_code, month))
    into name dimension value raw_value
)

select
    l.region_code,
    l.month,
    c.aspect,
    l.dimension,
    cast(nullif(l.raw_value, 'NA') as double) as raw_value,
    {{ token_key_id_column() }}
from long as l
inner join {{ ref('anti_fraud_index_dimensions') }} as c on l.dimension = c.dimension
