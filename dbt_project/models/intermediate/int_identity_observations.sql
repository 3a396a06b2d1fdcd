-- Every sighting of a person in any source, with what identifies them (tokens). For the mistyped-check-character
-- rule of int_identity_resolved: match keys (pii_match_key, keyed, flows.privacy.pii.match_key) of the ID's first 17
-- characters and of the name, equal whether the value is still clear or already purged (a stand-in), so a
-- retention purge between two sightings of a person does not change who they are. The clear name goes no further.
with subscribers as (
    select
        'telecom.subscribers' as source_table,
        phone_token || '@' || cast(activated_at as varchar) as source_key,
        holder_id_token as id_token,
        holder_id_canonical as id_canonical,
        holder_id_is_valid as id_is_valid,
        phone_token,
        holder_name as name,
        holder_name_masked as name_masked,
        cast(null as varchar) as gender,
        _batch,
        _line
    from {{ ref('stg_telecom__subscribers') }}
),

accounts as (
    select
        'finance.accounts' as source_table,
        card_token as source_key,
        holder_id_token as id_token,
        holder_id_canonical as id_canonical,
        holder_id_is_valid as id_is_valid,
        holder_phone_token as phone_token,
        holder_name as name,
        holder_name_masked as name_masked,
        cast(null as varchar) as gender,
        _batch,
        _line
    from {{ ref('stg_finance__accounts') }}
),

victims as (
    select
        'police.victims' as source_table,
        case_no || '#' || cast(seq as varchar) as source_key,
        id_token,
        id_canonical,
        id_is_valid,
        phone_token,
        name,
        name_masked,
        gender,
        _batch,
        _line
    from {{ ref('stg_police__victims') }}
),

suspects as (
    select
        'police.suspects' as source_table,
        suspect_no as source_key,
        id_token,
        id_canonical,
        id_is_valid,
        phone_token,
        name,
        name_masked,
        cast(null as varchar) as gender,
        _batch,
        _line
    from {{ ref('stg_police__suspects') }}
),

residents as (
    select
        'police.residents' as source_table,
        id_token as source_key,
        id_token,
        id_canonical,
        id_is_valid,
        cast(null as varchar) as phone_token,
        name,
        name_masked,
        gender,
        _batch,
        _line
    from {{ ref('stg_police__residents') }}
),

unioned as (
    select * from subscribers
    union all
    select * from accounts
    union all
    select * from victims
    union all
    select * from suspects
    union all
    select * from residents
),

-- Region, birth year and sequence number (characters 1-10 and 15-17, the same in a clear ID and in its
-- stand-in) of every malformed 18-character ID: only IDs of these blocks can match one, so only they are keyed.
typo_blocks as (
    select distinct left(id_canonical, 10) || substr(id_canonical, 15, 3) as block
    from unioned
    where not id_is_valid and length(id_canonical) = 18
)

select
    u.source_table,
    u.source_key,
    u.id_token,
    u.id_canonical,
    u.id_is_valid,
    case when b.block is not null then pii_match_key('id17', u.id_canonical) end as id_match_key,
    case when b.block is not null then pii_match_key('name', u.name) end as name_match_key,
    u.phone_token,
    u.name_masked,
    u.gender,
    u._batch,
    u._line
from unioned as u
left join typo_blocks as b
    on length(u.id_canonical) = 18 and left(u.id_canonical, 10) || substr(u.id_canonical, 15, 3) = b.block
