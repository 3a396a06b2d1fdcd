-- One row per gang member. A gang is the set of case clusters joined by shared members; gang_id is
-- 'G-' and the smallest cluster_id in it. Members are people with specific evidence (int_gang_evidence_collected:
-- mule cards that passed case money on, cards/SIMs opened for fraud, SIMs in a handset with a case number,
-- the operator of the gang's cards, police suspects); family (same household and surname) and hometown (same
-- ID region) ties are reported but never make a member.
with recursive
evidence as (
    select * from {{ ref('int_gang_evidence_collected') }}
    where cluster_id is not null
),

cluster_edges as (
    select distinct a.cluster_id as cluster_a, b.cluster_id as cluster_b
    from evidence as a
    inner join evidence as b on a.person_id = b.person_id
),

reach (cluster_id, reached) as (
    select distinct cluster_id, cluster_id as reached from evidence
    union
    select r.cluster_id, e.cluster_b
    from reach as r
    inner join cluster_edges as e on r.reached = e.cluster_a
),

gang_of_cluster as (
    select cluster_id, 'G-' || min(reached) as gang_id
    from reach
    group by cluster_id
),

members as (
    select
        g.gang_id,
        e.person_id,
        string_agg(distinct e.evidence, ',' order by e.evidence) as evidence,
        string_agg(distinct e.role, ',' order by e.role) as roles_seen,
        count(distinct e.case_no) as cases,
        -- police role first, then the strongest role the evidence shows
        min(case e.role
            when 'organizer' then 1 when 'card_supplier' then 2 when 'mule' then 3 when 'caller' then 4 else 5
        end) as role_rank
    from evidence as e
    inner join gang_of_cluster as g on e.cluster_id = g.cluster_id
    group by g.gang_id, e.person_id
),

people as (
    select * from {{ ref('dim_person') }}
),

households as (
    select id_token, household_no, left(name, 1) as surname
    from {{ ref('stg_police__residents') }}
),

member_details as (
    select
        m.*,
        p.id_token,
        p.name_masked,
        p.home_region_code,
        h.household_no,
        h.surname
    from members as m
    left join people as p on m.person_id = p.person_id
    left join households as h on p.id_token = h.id_token
),

ties as (
    select
        a.gang_id,
        a.person_id,
        count(distinct case
            when a.household_no = b.household_no and a.surname = b.surname then b.person_id
        end) as family_ties,
        count(distinct case when a.home_region_code = b.home_region_code then b.person_id end) as hometown_ties
    from member_details as a
    left join member_details as b on a.gang_id = b.gang_id and a.person_id <> b.person_id
    group by a.gang_id, a.person_id
)

select
    d.gang_id,
    d.person_id,
    d.id_token,
    d.name_masked,
    d.home_region_code,
    case d.role_rank
        when 1 then 'organizer' when 2 then 'card_supplier' when 3 then 'mule' when 4 then 'caller' else 'other'
    end as role,
    d.roles_seen,
    d.evidence,
    d.cases,
    coalesce(t.family_ties, 0) as family_ties,
    coalesce(t.hometown_ties, 0) as hometown_ties,
    {{ token_key_id_column() }}
from member_details as d
left join ties as t on d.gang_id = t.gang_id and d.person_id = t.person_id
