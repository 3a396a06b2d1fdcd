"""GX suites of the finance source (shared/contracts/finance.md): accounts, transactions."""

from __future__ import annotations

import great_expectations as gx

from rules.contracts import table

from .rules import MONEY_TEXT, REGION, SuiteBuilder

CHANNELS = ["mobile", "online", "atm", "pos", "counter"]


def suites(max_malformed_rate: float) -> list[gx.ExpectationSuite]:
    accounts = (
        SuiteBuilder(table("finance", "accounts"), max_malformed_rate)
        .base()
        .one_of("account_class", ["I", "II", "III"])
        .one_of("status", ["normal", "frozen", "closed"])
        .card("card_no")
        .id_no("holder_id_no")
        .phone("holder_phone")
        .flag_regex("region_code", REGION, "region_code: not 6 digits")
    )
    transactions = (
        SuiteBuilder(table("finance", "transactions"), max_malformed_rate)
        .base(event_time="ts")
        .regex("amount", MONEY_TEXT, "amount is not a positive yuan amount")
        .one_of("channel", CHANNELS)
        .one_of("status", ["success", "failed", "reversed"])
        .either_present("from_card", "to_card")
        .card("from_card", "to_card")
    )
    return [b.suite() for b in (accounts, transactions)]
