"""fraudbrain's pipeline: Prefect flows and the steps they call (extract, validate, transform, publish).

Importing the package first turns off the telemetry of Prefect, dbt and GX (before any of them loads).
"""

from flows.runtime import quiet_third_parties

quiet_third_parties()
