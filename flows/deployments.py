"""Scheduled deployments of the pipeline, served by `fraudbrain serve` against a Prefect server."""

from __future__ import annotations

import os

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval

from flows.pipeline import pipeline

DAILY = "daily-full"
POLICE = "police-incremental"
TIMEZONE = "Asia/Shanghai"


class NoPrefectServer(RuntimeError):
    """`fraudbrain serve` needs a Prefect server to register its schedules with."""


def deployments(daily_cron: str = "30 2 * * *", police_every_s: int = 900) -> list[RunnerDeployment]:
    """The daily full pipeline (all sources) and a frequent run that takes new police cases.

    Settings (landing, police URL, warehouse, keys) come from the serving process's FRAUDBRAIN_*
    environment, never from deployment parameters, so no key is ever stored by the Prefect server.
    Times are China's local time, as the sources' are.
    """
    return [
        pipeline.to_deployment(
            name=DAILY,
            schedules=[Cron(daily_cron, timezone=TIMEZONE)],
            description="Every source, validated, built and published.",
            tags=["fraudbrain", "daily"],
            parameters={"full_refresh": False},
        ),
        pipeline.to_deployment(
            name=POLICE,
            schedules=[Interval(police_every_s)],
            description="New and updated police cases, then the warehouse rebuilt and published.",
            tags=["fraudbrain", "police"],
            parameters={"sources": ["police"]},
        ),
    ]


def serve_all(daily_cron: str, police_every_s: int) -> None:
    if not os.environ.get("PREFECT_API_URL"):
        raise NoPrefectServer(
            "PREFECT_API_URL is not set: start a server (infra/prefect-server.sh) and "
            "export PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    serve(*deployments(daily_cron, police_every_s), limit=1)
