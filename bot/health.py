"""The bot's HTTP server: `GET /healthz` (gateway, database, scheduler), `GET /metrics`
(Prometheus) and `GET /calendar.ics` (every milestone; `/calendar/<cohort>.ics` for one
cohort's) for learners' calendar apps."""

from __future__ import annotations

import json
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.db import Database
from bot.db.models import utcnow
from bot.metrics import Metrics
from bot.reminders.calendar import milestones_calendar
from bot.reminders.service import MilestoneInfo

CALENDAR_TYPE = "text/calendar"


class CalendarSource(Protocol):
    """Where the calendar feed's milestones come from (`ReminderService`)."""

    async def calendar(self, cohort: str | None = None) -> list[MilestoneInfo]: ...


class Monitored(Protocol):
    """What the health server reads from the bot."""

    @property
    def database(self) -> Database: ...

    @property
    def metrics(self) -> Metrics: ...

    @property
    def reminders(self) -> CalendarSource: ...

    @property
    def gateway_connected(self) -> bool: ...

    @property
    def scheduler_running(self) -> bool: ...


class HealthServer:
    """A tiny aiohttp server on `port` (all interfaces, for container health checks)."""

    def __init__(self, bot: Monitored, port: int, host: str = "0.0.0.0") -> None:
        self.bot, self.port, self.host = bot, port, host
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Start serving."""
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        app.router.add_get("/calendar.ics", self.calendar)
        app.router.add_get("/calendar/{cohort}.ics", self.calendar)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def healthz(self, _request: web.Request) -> web.Response:
        """200 with details when healthy, 503 otherwise."""
        status: dict[str, Any] = {
            "gateway_connected": self.bot.gateway_connected,
            "database_reachable": await self.bot.database.ping(),
            "scheduler_running": self.bot.scheduler_running,
        }
        healthy = all(status.values())
        status["status"] = "ok" if healthy else "degraded"
        return web.Response(
            text=json.dumps(status), status=200 if healthy else 503, content_type="application/json"
        )

    async def metrics(self, _request: web.Request) -> web.Response:
        """Prometheus text format."""
        return web.Response(
            body=self.bot.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def calendar(self, request: web.Request) -> web.Response:
        """The milestones as iCalendar; 404 for a cohort without milestones."""
        cohort = request.match_info.get("cohort")
        milestones = await self.bot.reminders.calendar(cohort)
        if cohort is not None and not milestones:
            raise web.HTTPNotFound(text=f"no milestones for cohort {cohort}")
        title = f"ProDev deadlines ({cohort})" if cohort else "ProDev deadlines"
        return web.Response(
            body=milestones_calendar(milestones, title=title, now=utcnow()),
            content_type=CALENDAR_TYPE,
            charset="utf-8",
        )
