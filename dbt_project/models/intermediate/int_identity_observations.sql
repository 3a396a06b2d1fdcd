-- Every sighting of a person in any source, with what identifies them (tokens; clear names stay here,
-- in the restricted work database, for matching only).
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
        'finance.accounts',
        card_token,
        holder_id_token,
        holder_id_canonical,
        holder_id_is_valid,
        holder_phone_token,
        holder_name,
        holder_name_masked,
        cast(null as varchar),
        _batch,
        _line
    from {{ ref('stg_finance__accounts') }}
),

victims as (
    select
        'police.victims',
        case_no || '#' || cast(seq as varchar),
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
        'police.suspects',
        suspect_no,
        id_token,
        id_canonical,
        id_is_valid,
        phone_token,
        name,
        name_masked,
        cast(null as varchar),
        _batch,
        _line
    from {{ ref('stg_police__suspects') }}
),

residents as (
    select
        'police.residents',
        id_token,
        id_token,
        id_canonical,
        id_is_valid,
        cast(null as varchar),
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
)

select
    source_table,
    source_key,
    id_token,
    id_canonical,
    id_is_valid,
    case when length(id_canonical) = 18 then left(id_canonical, 17) end as id_prefix17,
    phone_token,
    name,
    name_masked,
    gender,
    _batch,
    _line
from unioned
