"""GX suites of the telecom source (shared/contracts/telecom.md): subscribers, cdr, cells."""

from __future__ import annotations

import great_expectations as gx

from rules.contracts import table

from .rules import DECIMAL, REGION, SuiteBuilder


def suites(max_malformed_rate: float) -> list[gx.ExpectationSuite]:
    subscribers = (
        SuiteBuilder(table("telecom", "subscribers"), max_malformed_rate)
        .base()
        .one_of("carrier", ["CMCC", "CUCC", "CTCC", "MVNO"])
        .one_of("status", ["1", "2", "3"])
        .phone("msisdn")
        .id_no("holder_id_no")
        .flag_regex("imsi", r"^460\d{12}$", "imsi: not 15 digits starting 460")
        .flag_regex("region_code", REGION, "region_code: not 6 digits")
    )
    cdr = (
        SuiteBuilder(table("telecom", "cdr"), max_malformed_rate)
        .base(event_time="start_time")
        .integer("duration_s")
        .non_negative("duration_s")
        .flag_regex("imei", r"^\d{15}$", "imei: not 15 digits")
    )
    cells = (
        SuiteBuilder(table("telecom", "cells"), max_malformed_rate)
        .base()
        .regex("lon", DECIMAL, "lon is not a decimal")
        .regex("lat", DECIMAL, "lat is not a decimal")
        .flag_regex("region_code", REGION, "region_code: not 6 digits")
    )
    return [b.suite() for b in (subscribers, cdr, cells)]
