{#- case_tier: the seed's triage. major: loss ≥ major_case_amount; serial: cluster of serial_cluster_size or
    more cases; otherwise minor. Major wins over serial. -#}
{% macro case_tier(loss_amount, cluster_size) -%}
    case
        when {{ loss_amount }} >= {{ var('major_case_amount') }} then 'major'
        when {{ cluster_size }} >= {{ var('serial_cluster_size') }} then 'serial'
        else 'minor'
    end
{%- endmacro %}
