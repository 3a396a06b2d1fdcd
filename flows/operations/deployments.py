"""Scheduled deployments of the pipeline, and the freshness automation, served by `fraudbrain serve`."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from uuid import UUID

from prefect import Flow, serve
from prefect.automations import Automation
from prefect.client.orchestration import get_client
from prefect.deployments.runner import RunnerDeployment
from prefect.events.actions import DoNothing, SendNotification
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.exceptions import ObjectNotFound
from prefect.schedules import Cron, Interval

from flows.errors import UserError
from flows.operations import freshness
from flows.settings import Settings

log = logging.getLogger("fraudbrain.serve")

DAILY = "daily-full"
POLICE = "police-incremental"
TIMEZONE = "Asia/Shanghai"


AUTOMATION = "fraudbrain: source stale or missing a day"


class NoPrefectServer(UserError, RuntimeError):
    """`fraudbrain serve` needs a Prefect server to register its schedules with."""


class NoNotificationBlock(UserError, RuntimeError):
    """FRAUDBRAIN_ALERT_BLOCK names a block the Prefect server does not hold."""


def deployments(pipeline: Flow, daily_cron: str = "30 2 * * *", police_every_s: int = 900) -> list[RunnerDeployment]:
    """The daily full ``pipeline`` (all sources) and a frequent run of it that takes new police cases.

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


def freshness_automation(settings: Settings, block_document_id: UUID | None) -> Automation:
    """Reacts to the events the pipeline emits for stale sources and missing days (``flows.operations.freshness``).

    One firing per source at most every ``alert_repeat_hours``: the daily and the frequent runs both
    check freshness, and a silent source should not page someone every 15 minutes. With a notification
    block the alert is sent there; without one the automation only records its firings (Prefect UI).
    """
    action = (
        SendNotification(
            block_document_id=block_document_id,
            subject="fraudbrain alert: {{ event.resource.name }} {{ event.payload.kind }}",
            body="{{ event.payload.message }}",
        )
        if block_document_id
        else DoNothing()
    )
    return Automation(
        name=AUTOMATION,
        description="A source fell silent longer than its expected arrival, or a day has no batch.",
        enabled=True,
        trigger=EventTrigger(
            expect={f"{freshness.EVENT_PREFIX}*"},
            match={"prefect.resource.id": f"{freshness.EVENT_PREFIX}*"},
            for_each={"prefect.resource.id"},
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(hours=settings.alert_repeat_hours),
        ),
        actions=[action],
    )


def notification_block_id(slug: str | None) -> UUID | None:
    """The id of the notification block ``<block type slug>/<block name>``, or None when none is configured."""
    if not slug:
        return None
    block_type, _, name = slug.partition("/")
    if not name:
        raise NoNotificationBlock(f"FRAUDBRAIN_ALERT_BLOCK={slug!r}: expected <block type slug>/<block name>")
    with get_client(sync_client=True) as client:
        try:
            return client.read_block_document_by_name(name, block_type, include_secrets=False).id
        except ObjectNotFound as exc:
            raise NoNotificationBlock(f"no {block_type} block named {name!r} on the Prefect server") from exc


def ensure_freshness_automation(settings: Settings) -> Automation:
    """Create the freshness automation, or bring the existing one (same name) up to date: idempotent."""
    wanted = freshness_automation(settings, notification_block_id(settings.alert_block))
    try:
        existing = Automation.read(name=AUTOMATION)
    except ValueError:
        created = wanted.create()
        log.info("created the Prefect automation %r (%s)", AUTOMATION, created.id)
        return created
    wanted.id = existing.id
    wanted.update()
    return wanted


def serve_all(pipeline: Flow, daily_cron: str, police_every_s: int, settings: Settings | None = None) -> None:
    """Serve ``pipeline``'s deployments (the caller passes the flow: operations never import the pipeline).

    Refused before anything is registered when there is no Prefect server to talk to or a key is missing.
    Stopping the serving process pauses its deployments' schedules (Prefect's `serve`): serve again to resume.
    """
    if not os.environ.get("PREFECT_API_URL"):
        raise NoPrefectServer(
            "PREFECT_API_URL is not set: start a server (infra/prefect-server.sh) and "
            "export PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    settings = settings or Settings()
    # every scheduled run needs both keys: refuse now, in one line, rather than fail each run later
    settings.resolved_pii_key()
    settings.resolved_vault_key()
    ensure_freshness_automation(settings)
    serve(*deployments(pipeline, daily_cron, police_every_s), limit=1)
