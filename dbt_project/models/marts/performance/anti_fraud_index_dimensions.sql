-- The one configuration of the anti-fraud index (published, so that every score can be explained):
-- each dimension, the aspect it scores (incidence 发案, prevention 宣防, strikes 打击, governance 治理,
-- supervision 督导), its weight (within its aspect and in the total) and its direction (is more better?).
-- Each dimension is computed in anti_fraud_index_values under the same name.
with dimensions (aspect, dimension, weight, direction, definition) as (
    values
    ('incidence', 'cases', 4, 'lower', 'Cases reported in the region in the month'),
    ('incidence', 'losses', 4, 'lower', 'Sum of loss_amount of those cases'),
    ('incidence', 'major_cases', 3, 'lower', 'Cases of 500000 yuan or more'),
    ('incidence', 'cases_per_10k_residents', 4, 'lower', 'Cases per 10000 registered residents of the region'),
    ('incidence', 'loss_per_case', 2, 'lower', 'Average loss per case'),
    ('incidence', 'elderly_victims', 2, 'lower', 'Victims aged 60 or more of those cases'),
    ('incidence', 'serial_cases', 2, 'lower', 'Cases in clusters of three or more'),
    ('incidence', 'fraud_types', 1, 'lower', 'Distinct fraud types reported'),
    ('prevention', 'activities', 3, 'higher', 'Prevention activities held'),
    ('prevention', 'reach', 3, 'higher', 'People reached by prevention activities'),
    ('prevention', 'app_registrations', 3, 'higher', 'Anti-fraud app registrations won'),
    ('prevention', 'reach_per_resident', 3, 'higher', 'People reached per registered resident'),
    ('prevention', 'app_registrations_per_10k', 3, 'higher', 'App registrations per 10000 registered residents'),
    ('prevention', 'activity_kinds', 1, 'higher', 'Distinct kinds of prevention activity'),
    ('prevention', 'door_to_door', 2, 'higher', 'Door-to-door visits held'),
    ('strikes', 'solved', 3, 'higher', 'Of the month''s cases how many are solved now'),
    ('strikes', 'solve_rate', 4, 'higher', 'Solved divided by cases'),
    ('strikes', 'suspects_arrested', 3, 'higher', 'Suspects arrested by the region''s units'),
    ('strikes', 'stop_payment_accounts', 3, 'higher', 'Cards stopped (executed) by the region''s units'),
    ('strikes', 'stop_payment_amount', 3, 'higher', 'Money held by executed stop-payments'),
    ('strikes', 'recovered_amount', 3, 'higher', 'Money returned to victims of the region''s cases'),
    ('strikes', 'recovery_rate', 2, 'higher', 'Recovered divided by losses'),
    ('strikes', 'stop_payment_success_rate', 2, 'higher', 'Executed divided by requested stop-payments'),
    ('strikes', 'warnings_dissuaded', 3, 'higher', 'Warnings that dissuaded a potential victim'),
    ('strikes', 'dissuasion_rate', 2, 'higher', 'Dissuaded divided by warnings issued'),
    ('governance', 'two_card_suppliers', 3, 'lower', 'Two-card lead persons whose home is the region'),
    ('governance', 'mule_cards_opened', 3, 'lower', 'Mule cards opened at branches of the region in the month'),
    (
        'governance',
        'fraud_sims_opened',
        3,
        'lower',
        'SIMs named in cases activated at outlets of the region in the month'
    ),
    (
        'governance',
        'away_cards_opened',
        2,
        'lower',
        'II/III-class cards opened in the region by people from elsewhere in the month'
    ),
    ('governance', 'gang_members', 2, 'lower', 'Gang members whose home is the region'),
    ('governance', 'unwarned_targets', 2, 'lower', 'Warning targets of the region not yet warned'),
    ('supervision', 'tasks_issued', 1, 'higher', 'Supervision tasks issued to the region''s units'),
    ('supervision', 'on_time_rate', 4, 'higher', 'Tasks completed by their due time divided by tasks issued'),
    (
        'supervision',
        'overdue_open_tasks',
        3,
        'lower',
        'Tasks still open after their due time (as of the latest data time)'
    ),
    ('supervision', 'completion_hours', 2, 'lower', 'Average hours from issue to completion'),
    ('supervision', 'lead_followups_done', 2, 'higher', 'Lead follow-up tasks completed')
)

select
    aspect,
    dimension,
    cast(weight as integer) as weight,
    direction,
    definition,
    {{ token_key_id_column() }}
from dimensions
