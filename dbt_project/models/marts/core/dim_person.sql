-- One row per resolved person: identified by their ID-number token where known.
with sightings as (
    select * from {{ ref('int_identity_resolved') }}
),

phones as (
    select person_id, count(distinct phone_token) as sims
    from {{ ref('int_phone_ownership') }}
    where person_id is not null
    group by person_id
),

cards as (
    select person_id, count(distinct card_token) as bank_cards
    from {{ ref('int_card_ownership') }}
    where person_id is not null
    group by person_id
),

people as (
    select
        person_id,
        max(id_token) as id_token,
        max(id_masked) as id_masked,
        min(name_masked) as name_masked,
        max(gender) as gender,
        max(year(birth_date)) as birth_year,
        max(id_region_code) as home_region_code,
        string_agg(distinct source_table, ',' order by source_table) as seen_in,
        string_agg(distinct match_rule, ',' order by match_rule) as match_rules,
        bool_or(source_table = 'police.victims') as is_victim,
        bool_or(source_table = 'police.suspects') as is_suspect,
        bool_or(source_table = 'police.residents') as is_registered_resident
    from sightings
    group by person_id
)

select
    p.person_id,
    p.id_token,
    p.id_masked,
    p.name_masked,
    p.gender,
    p.birth_year,
    p.home_region_code,
    p.seen_in,
    p.match_rules,
    p.is_victim,
    p.is_suspect,
    p.is_registered_resident,
    coalesce(ph.sims, 0) as sims,
    coalesce(c.bank_cards, 0) as bank_cards,
    {{ token_key_id_column() }}
from people as p
left join phones as ph on p.person_id = ph.person_id
left join cards as c on p.person_id = c.person_id
