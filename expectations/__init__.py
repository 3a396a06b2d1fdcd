"""GX Core suites, one per contract table (``<source>__<table>``), and the custom expectations.

``all_suites(max_malformed_rate)`` builds them; flows/ingest/validate.py registers them in the GX context.
"""

from __future__ import annotations

import great_expectations as gx

from . import finance, police, telecom


def all_suites(max_malformed_rate: float, police_max_malformed_rate: float = 0.25) -> dict[str, gx.ExpectationSuite]:
    """The suites; a malformed-identifier share beyond the bound holds a batch. The police bound is looser:
    victims' and suspects' ID numbers are typed by hand and "sometimes mistyped" (contract, no bound given),
    while the operators and banks promise at most 1% (telecom.md)."""
    suites = [
        *telecom.suites(max_malformed_rate),
        *finance.suites(max_malformed_rate),
        *police.suites(police_max_malformed_rate),
    ]
    return {s.name: s for s in suites}
