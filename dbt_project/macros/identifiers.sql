{#-
    Tokens and the helpers staging uses around the identifier rules. The rules themselves (canonical forms,
    validity, kinds, masks, purged forms) are generated from rules/identifiers.py into identifiers_generated.sql.
    Tokens: pii_token(kind, canonical) is a DuckDB function registered by the plugin flows.build.dbt_plugin.
-#}


{#- ------------------------------------------------------------ text helpers -#}
{% macro full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('full_match', 'fraudbrain')(expr, pattern)) }}
{%- endmacro %}

{% macro duckdb__full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{#- remove_chars: delete every character of a regex character class. -#}
{% macro remove_chars(expr, char_class) -%}
    {{ return(adapter.dispatch('remove_chars', 'fraudbrain')(expr, char_class)) }}
{%- endmacro %}

{% macro duckdb__remove_chars(expr, char_class) -%}
    regexp_replace({{ expr }}, '[{{ char_class }}]', '', 'g')
{%- endmacro %}


{#- ---------------------------------------------------------------- tokens -#}
{#- token: pii_token(kind, canonical), the keyed HMAC registered on the connection by flows.build.dbt_plugin. -#}
{% macro token(kind, canonical) -%}
    pii_token('{{ kind }}', {{ canonical }})
{%- endmacro %}

{#-
    distinct_tokens: a lookup (value, token) over the distinct non-null values of some columns of a CTE, to join
    back: a large model calls pii_token once per distinct value instead of once per row (scale 10: 34 M calls
    in stg_telecom__cdr, 58.5 s, against 12.4 s for the lookup and its joins). `columns` are expressions over
    `relation`; take them from the model's source CTE (a plain scan) rather than from a CTE computed after a
    window, which DuckDB would compute again for each reference (materialising it spilled gigabytes).
-#}
{% macro distinct_tokens(relation, kind, columns) -%}
    select
        value,
        {{ fraudbrain.token(kind, 'value') }} as token
    from (
        select distinct value
        from (
            {%- for column in columns %}
            select {{ column }} as value from {{ relation }}
            {%- if not loop.last %}
            union all
            {%- endif %}
            {%- endfor %}
        ) as all_values
        where value is not null
    ) as distinct_values
{%- endmacro %}

{% macro key_id() -%}
    token_key_id()
{%- endmacro %}

{#- token_key_id as a scalar: evaluated once per query, not per row. -#}
{% macro token_key_id_column() -%}
    (select token_key_id()) as token_key_id
{%- endmacro %}

{#- surrogate_hash: a deterministic id from non-sensitive text (tokens, case numbers), via dbt's cross-db hash. -#}
{% macro surrogate_hash(expr) -%}
    {{ dbt.hash(expr) }}
{%- endmacro %}
