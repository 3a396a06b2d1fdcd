"""Every knob of the simulated world, with defaults inside the bounds the contracts document."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SimConfig(BaseModel):
    """Rates of behaviour, fraud, look-alikes and defects. Rates are probabilities in [0, 1]."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- population and normal behaviour
    people_per_scale: int = Field(20_000, description="people at scale 1")
    calls_per_person_day: float = Field(1.8, ge=0, description="mean outgoing calls of a SIM holder a day")
    txns_per_person_day: float = Field(0.45, ge=0, description="mean card payments of an adult a day")
    born_elsewhere_rate: float = Field(0.06, ge=0, le=1, description="clans born outside the pilot cities")
    registered_elsewhere_rate: float = Field(0.05, ge=0, le=1, description="clans absent from residents")
    new_sims_per_10k_day: float = Field(4.0, ge=0, description="new SIM registrations per 10k people a day")
    new_cards_per_10k_day: float = Field(5.0, ge=0, description="new bank cards per 10k people a day")

    # --- fraud
    gangs_per_10k: float = Field(3.0, ge=0, description="fraud gangs per 10,000 people")
    family_recruitment_share: float = Field(0.5, ge=0, le=1, description="gangs recruited by family")
    victims_per_gang_day: float = Field(1.3, ge=0, description="new victims hooked per active gang a day")
    burst_calls_per_gang_day: float = Field(90, ge=0, description="cold calls per active gang a day")
    dissuaded_rate: float = Field(0.5, ge=0, le=1, description="warned-before-paying victims who stop")
    warning_rate: float = Field(0.35, ge=0, le=1, description="victims who receive an early warning")
    report_rate: float = Field(0.6, ge=0, le=1, description="paying victims who report a case")
    bust_rate: float = Field(0.6, ge=0, le=1, description="gangs busted within the horizon")
    mule_hops_min: int = Field(1, ge=1, le=8, description="fewest mule-to-mule hops of a chain before cash-out")
    mule_hops_max: int = Field(3, ge=1, le=8, description="most mule-to-mule hops of a chain before cash-out")
    pass_through_slowdown: float = Field(
        1.0, ge=1, le=500, description="multiplies every laundering delay: 1 = minutes, 50 = hours to days"
    )
    two_city_gang_share: float = Field(
        0.0, ge=0, le=1, description="gangs with half their suppliers and callers in a second pilot city"
    )
    caller_own_sim_rate: float = Field(
        0.5, ge=0, le=1, description="gang handsets whose caller also uses his own SIM in them (IMEI shared)"
    )

    # --- innocent look-alikes (shares of adults unless stated)
    many_cards_rate: float = Field(0.01, ge=0, le=1, description="people with many cards opened over years")
    merchant_rate: float = Field(0.03, ge=0, le=1, description="merchants receiving from many payers")
    cash_business_share: float = Field(0.3, ge=0, le=1, description="share of merchants that are cash-heavy")
    shared_handset_rate: float = Field(0.02, ge=0, le=1, description="households sharing one handset")
    mvno_user_rate: float = Field(0.04, ge=0, le=1, description="innocent virtual-operator SIM users")
    courier_rate: float = Field(0.004, ge=0, le=1, description="couriers making bursts of short calls")
    false_alarm_per_10k_day: float = Field(1.0, ge=0, description="false-alarm warnings per 10k people")

    # --- telecom defects (contract: bad holder_id_no <= 1%, duplicate CDR <= 0.5%)
    bad_holder_id_rate: float = Field(0.005, ge=0, le=0.01)
    msisdn_format_rate: float = Field(0.02, ge=0, le=1, description="numbers written +86 / spaced / hyphens")
    cdr_duplicate_rate: float = Field(0.002, ge=0, le=0.005, description="call records sent twice in one batch")
    cdr_resend_rate: float = Field(
        0.001, ge=0, le=0.005, description="call records sent again 1-7 days later (with duplicates <= 0.5%)"
    )
    pipe_in_name_rate: float = Field(0.001, ge=0, le=0.05, description="subscriber rows with | in the name")
    negative_duration_rate: float = Field(0.0005, ge=0, le=0.05)
    future_start_rate: float = Field(0.0003, ge=0, le=0.05, description="start_time after the batch date")
    late_record_rate: float = Field(0.005, ge=0, le=0.2, description="records delivered 1-7 days late")

    # --- finance defects (contract: duplicate transactions <= 0.5%)
    txn_duplicate_rate: float = Field(0.003, ge=0, le=0.005, description="transactions sent twice in one batch")
    txn_resend_rate: float = Field(
        0.001, ge=0, le=0.005, description="transactions sent again 1-7 days later (with duplicates <= 0.5%)"
    )
    duplicate_reversed_share: float = Field(0.3, ge=0, le=1, description="duplicates turned reversed")
    amount_separator_rate: float = Field(0.002, ge=0, le=0.05, description='amounts like "1,200.00"')
    amount_unparseable_rate: float = Field(0.0005, ge=0, le=0.05)
    ts_format_rate: float = Field(0.003, ge=0, le=0.05, description="ts without offset or with a space")
    truncated_file_rate: float = Field(0.05, ge=0, le=1, description="finance files cut in the last line")
    late_correction_share: float = Field(
        0.5, ge=0, le=1, description="subscriber rows with a bad ID, accounts cut off: re-sent corrected later"
    )
    holder_phone_variant_rate: float = Field(0.35, ge=0, le=1, description="holder_phone not plain")

    # --- police defects
    police_id_defect_rate: float = Field(0.08, ge=0, le=0.5, description="victim/suspect id_no mistyped")
    messy_number_rate: float = Field(0.6, ge=0, le=1, description="case numbers written messily")
    loss_mismatch_rate: float = Field(0.1, ge=0, le=1, description="loss_amount != sum of transfers")
    police_revision: int = Field(
        1, ge=1, le=2, description="police contract revision the database is on (2 adds supervision_tasks.ref_no)"
    )
    ref_no_empty_rate: float = Field(0.2, ge=0, le=1, description="lead follow-ups whose ref_no is left empty")
    ref_no_typo_rate: float = Field(0.15, ge=0, le=1, description="ref_no typed with spaces, full width, a typo")

    # --- deliveries
    redelivery_rate: float = Field(0.0, ge=0, le=1, description="batches delivered damaged, then re-delivered")

    @model_validator(mode="after")
    def _ranges(self) -> SimConfig:
        if self.mule_hops_min > self.mule_hops_max:
            raise ValueError("mule_hops_min must not exceed mule_hops_max")
        if self.cdr_duplicate_rate + self.cdr_resend_rate > 0.005:
            raise ValueError("the contract allows at most 0.5% duplicate call records in all")
        if self.txn_duplicate_rate + self.txn_resend_rate > 0.005:
            raise ValueError("the contract allows at most 0.5% duplicate transactions in all")
        return self
