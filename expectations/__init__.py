"""GX Core suites, one per contract table (``<source>__<table>``), and the custom expectations.

``all_suites(max_malformed_rate)`` builds them; flows/validate.py registers them in the GX context.
"""

from __future__ import annotations

import great_expectations as gx

from . import finance, police, telecom


def all_suites(max_malformed_rate: float) -> dict[str, gx.ExpectationSuite]:
    suites = [
        *telecom.suites(max_malformed_rate),
        *finance.suites(max_malformed_rate),
        *police.suites(max_malformed_rate),
    ]
    return {s.name: s for s in suites}
