-- Identity resolution: one person key per sighting.
-- 1. a valid ID number is the person (its token);
-- 2. a malformed 18-character ID whose first 17 characters and name match exactly one valid ID → that person
--    (a mistyped check character), compared through their keyed match keys (int_identity_observations), so a
--    purged sighting (stand-ins) still matches a clear one;
-- 3. otherwise the phone: the one valid-ID holder registered for that phone (SIM or bank) → that person;
-- 4. otherwise the sighting stays its own person, keyed by a deterministic surrogate.
with observations as (
    select * from {{ ref('int_identity_observations') }}
),

anchors as (
    select distinct id_token, id_match_key, name_match_key
    from observations
    where id_is_valid and id_match_key is not null
),

typo_matches as (
    select
        o.source_table,
        o.source_key,
        min(a.id_token) as id_token,
        count(distinct a.id_token) as candidates
    from observations as o
    inner join anchors as a
        on o.id_match_key = a.id_match_key and o.name_match_key = a.name_match_key
    where not o.id_is_valid
    group by o.source_table, o.source_key
),

phone_holders as (
    select
        phone_token,
        min(id_token) as id_token,
        count(distinct id_token) as holders
    from observations
    where
        id_is_valid and phone_token is not null
        and source_table in ('telecom.subscribers', 'finance.accounts')
    group by phone_token
),

resolved as (
    select
        o.*,
        case
            when o.id_is_valid then o.id_token
            when t.candidates = 1 then t.id_token
            when p.holders = 1 then p.id_token
        end as person_id_token,
        case
            when o.id_is_valid then 'id'
            when t.candidates = 1 then 'id_typo'
            when p.holders = 1 then 'phone'
            else 'unresolved'
        end as match_rule
    from observations as o
    left join typo_matches as t
        on o.source_table = t.source_table and o.source_key = t.source_key
    left join phone_holders as p
        on o.phone_token = p.phone_token
)

select
    coalesce(
        person_id_token,
        {{ surrogate_hash("'unresolved:' || source_table || ':' || source_key") }}
    ) as person_id,
    person_id_token as id_token,
    match_rule,
    source_table,
    source_key,
    id_token as observed_id_token,
    id_is_valid as observed_id_is_valid,
    phone_token,
    name_masked,
    case when id_is_valid then {{ mask_id('id_canonical') }} end as id_masked,
    case when id_is_valid then left(id_canonical, 6) end as id_region_code,
    case when id_is_valid then {{ id_birth_date('id_canonical') }} end as birth_date,
    case
        when id_is_valid then case when cast(substr(id_canonical, 17, 1) as integer) % 2 = 1 then 'M' else 'F' end
        else gender
    end as gender,
    _batch,
    _line
from resolved
