"""NexusBot: wires settings, database, services and cogs, and answers every failure politely."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import health
from bot.config import Settings
from bot.db import Database
from bot.db.migrate import upgrade
from bot.db.models import utcnow
from bot.feedback import FeedbackService
from bot.interaction_claims import InteractionClaims
from bot.jobs import Jobs
from bot.knowledge.service import KnowledgeService
from bot.metrics import Metrics
from bot.moderation.content import ContentService
from bot.pairing.schedule import parse_schedule
from bot.pairing.service import PairingService
from bot.reminders.events import EventSync
from bot.reminders.parsing import parse_offsets
from bot.reminders.service import ReminderService
from bot.reminders.timeline import Timeline, load_timeline
from bot.waits import Waits, within
from cogs.delivery import MAX_RATE_LIMIT_WAIT
from cogs.errors import InteractionOutcome, TooLate, report_error

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 10.0
DROP_AFTER_SECONDS = 2.0
"""An interaction that waited this long before its turn is dropped: Discord's deadline is
3 s from its creation, and an overloaded bot needs the rest to answer the ones it keeps."""
CLAIM_SECONDS = 0.8
"""How long a replica waits for its claim on an interaction before it answers anyway: a
locked table or a failover must not leave every replica silent past Discord's 3 seconds."""
EXTENSIONS = ("cogs.meta", "cogs.knowledge", "cogs.reminders", "cogs.content", "cogs.pairing")

# No message the bot sends can ping @everyone, @here or a role; users only where a reply
# names them on purpose (introductions).
SAFE_MENTIONS = discord.AllowedMentions(everyone=False, roles=False, users=True, replied_user=False)


def load_timeline_if_present(path: Path) -> Timeline | None:
    """The program timeline template, or None when the file is missing."""
    if not path.exists():
        log.warning("no timeline file at %s: /milestone cohort is unavailable", path)
        return None
    try:
        return load_timeline(path)
    except ValueError as error:
        log.error("%s; /milestone cohort is unavailable until it is fixed", error)
        return None


def event_location(settings: Settings) -> str:
    """Where milestone events point: the announcements channel, as a link."""
    if settings.guild_id and settings.announce_channel_id:
        return f"https://discord.com/channels/{settings.guild_id}/{settings.announce_channel_id}"
    return "#ProDevProjectNexus on Discord"


class NexusTree(app_commands.CommandTree["NexusBot"]):
    """The command tree: times every command, drops what waited too long, answers every failure.

    Under overload, interactions queue up before the bot reads them. One whose turn comes
    too late to answer in Discord's 3 seconds is dropped before any work (one log line,
    counted `late`) instead of costing a whole command and a refused reply: the bot spends
    what it has on interactions it can still answer, and is idle as soon as the load falls.
    """

    def __init__(self, client: NexusBot, **options: Any) -> None:
        super().__init__(client, **options)
        self.waits = Waits()

    async def interaction_check(self, interaction: discord.Interaction[NexusBot]) -> bool:
        """Drop what waited too long; note when handling started (latency histogram,
        graceful shutdown)."""
        waited = self.waits.waited(interaction.created_at.timestamp())
        if waited > DROP_AFTER_SECONDS:
            raise TooLate(waited)
        interaction.extras["started"] = time.monotonic()
        if interaction.type is not discord.InteractionType.autocomplete:
            interaction.client.in_flight.add(interaction.id)
        return True

    async def on_error(
        self, interaction: discord.Interaction[NexusBot], error: app_commands.AppCommandError
    ) -> None:
        """Answer every failed interaction with a short ephemeral message."""
        outcome = await report_error(interaction, error)
        interaction.client.observe(interaction, outcome)


class NexusBot(commands.Bot):
    """The ProDev Nexus bot."""

    def __init__(
        self,
        settings: Settings,
        *,
        extensions: tuple[str, ...] = EXTENSIONS,
        clock: Callable[[], datetime] = utcnow,
        **options: Any,
    ) -> None:
        options.setdefault("guild_ready_timeout", 2.0)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=SAFE_MENTIONS,
            tree_cls=NexusTree,
            help_command=None,
            **{"max_ratelimit_timeout": MAX_RATE_LIMIT_WAIT, **options},
        )
        self.settings = settings
        self.database = Database(settings.database_url)
        # The one runtime for background work; the services add to it. `clock` is the bot's
        # now: its jobs fall due on it (the end-to-end tests pass one they move by hand).
        self.jobs = Jobs(clock)
        self.knowledge = KnowledgeService(
            self.database,
            settings.content_dir,
            self.jobs,
            semantic_model=settings.semantic_model,
        )
        self.content = ContentService(self.knowledge)
        self.feedback = FeedbackService(
            self.database,
            self.content,
            retention=timedelta(days=settings.gaps_retention_days),
            jobs=self.jobs,
            clock=clock,
        )
        self.pairing = PairingService(
            self.database,
            checkin_after=timedelta(days=settings.pairing_checkin_days),
            notice_before=timedelta(hours=settings.pairing_notice_hours),
            grace=timedelta(hours=settings.reminder_grace_hours),
            schedule=parse_schedule(settings.pairing_schedule),
            clock=clock,
            jobs=self.jobs,
        )
        self.reminders = ReminderService(
            self.database,
            channel_id=settings.announce_channel_id,
            grace=timedelta(hours=settings.reminder_grace_hours),
            default_offsets=parse_offsets(settings.reminder_offsets),
            timeline=load_timeline_if_present(settings.content_dir / "timeline.yaml"),
            clock=clock,
            jobs=self.jobs,
        )
        self.events = (
            EventSync(self.database, location=event_location(settings), jobs=self.jobs, clock=clock)
            if settings.discord_events
            else None
        )
        self.extensions_to_load = extensions
        self.metrics = Metrics(self.service_figures)
        self.in_flight: set[int] = set()
        self._claiming: set[asyncio.Task[None]] = set()
        self._health: health.HealthServer | None = None

    @property
    def guild_object(self) -> discord.Object | None:
        """The guild commands are synced to, or None for global commands."""
        return discord.Object(self.settings.guild_id) if self.settings.guild_id else None

    async def setup_hook(self) -> None:
        """Migrate, import content, load cogs, sync commands, start the health server."""
        await upgrade(self.database)
        self.jobs.start()
        if not self.database.is_sqlite:  # replicas may share the token: one acts on each
            self._act_only_on_claimed_interactions()
        report = await self.knowledge.start(watch=True)
        log.info("content: %s", report.summary())
        for extension in self.extensions_to_load:
            await self.load_extension(extension)
        guild = self.guild_object
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
            self.tree.clear_commands(guild=None)
        self._count_every_command_from_zero()
        synced = await self.tree.sync(guild=guild)
        log.info(
            "synced %d commands %s", len(synced), f"to guild {guild.id}" if guild else "globally"
        )
        if self.settings.http_port:
            self._health = health.HealthServer(self, self.settings.http_port)
            await self._health.start()

    def _act_only_on_claimed_interactions(self) -> None:
        """Put a database claim in front of discord.py's INTERACTION_CREATE handling."""
        claims = InteractionClaims(self.database)
        parsers = self._connection.parsers
        parse = parsers["INTERACTION_CREATE"]

        async def claim_then_parse(data: dict[str, Any]) -> None:
            try:
                won = await within(claims.claim(int(data["id"])), CLAIM_SECONDS)
            except TimeoutError:  # a slow database: every replica may answer, none stays mute
                log.warning("claiming interaction %s took too long; handling it anyway", data["id"])
                won = True
            except Exception:  # the database is down: better two answers than none
                log.exception("could not claim interaction %s; handling it anyway", data["id"])
                won = True
            if won:
                parse(data)

        tree = self.tree
        assert isinstance(tree, NexusTree)

        def parse_claimed(data: dict[str, Any]) -> None:
            # Waits learn the quickest delivery on arrival, before the claim: a slow claim
            # then counts as waiting (a form's budget, the drop of late interactions).
            tree.waits.waited(discord.utils.snowflake_time(int(data["id"])).timestamp())
            task = asyncio.create_task(claim_then_parse(data))
            self._claiming.add(task)
            task.add_done_callback(self._claiming.discard)

        parsers["INTERACTION_CREATE"] = parse_claimed

    def track_component(
        self, interaction: discord.Interaction[Any]
    ) -> Callable[[InteractionOutcome], None]:
        """Start counting a button, select or form: waited for at shutdown like a command;
        the returned function records its outcome under `component:<kind>` in the metrics."""
        started = time.monotonic()
        self.in_flight.add(interaction.id)
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", "?"))
        name = "component:" + ":".join(custom_id.split(":")[:2])

        def finished(outcome: InteractionOutcome) -> None:
            self.in_flight.discard(interaction.id)
            self.metrics.observe(name, outcome, time.monotonic() - started)

        return finished

    def _count_every_command_from_zero(self) -> None:
        """Expose every command's counters at zero from boot (a rate needs a starting point)."""
        guild = self.guild_object
        for command in self.tree.walk_commands(guild=guild):
            if isinstance(command, app_commands.Command):
                self.metrics.zero(command.qualified_name, InteractionOutcome)
        for menu in self.tree.get_commands(guild=guild, type=discord.AppCommandType.message):
            self.metrics.zero(menu.qualified_name, InteractionOutcome)

    def observe(self, interaction: discord.Interaction[Any], outcome: InteractionOutcome) -> None:
        """Count a finished command in the metrics."""
        self.in_flight.discard(interaction.id)
        if interaction.type is discord.InteractionType.autocomplete:
            return
        name = interaction.command.qualified_name if interaction.command else "unknown"
        started = interaction.extras.get("started", time.monotonic())
        self.metrics.observe(name, outcome, time.monotonic() - started)

    async def on_app_command_completion(
        self, interaction: discord.Interaction[Any], _command: object
    ) -> None:
        """A command finished without an error."""
        self.observe(interaction, InteractionOutcome.OK)

    def service_figures(self) -> dict[str, Any]:
        """What the services count, for /metrics."""
        return {
            "reminders": dict(self.reminders.stats),
            "pairing_rounds": self.pairing.rounds_run,
            "scheduler_running": self.reminders.running,
            "entries": len(self.knowledge.index),
            "answers": dict(self.feedback.answers),
            "votes": dict(self.feedback.votes),
            "gaps": self.feedback.gaps_counted,
        }

    async def on_ready(self) -> None:
        """Freeze what start-up built, so garbage collection stays cheap under load."""
        log.info("ready as %s in %d guild(s)", self.user, len(self.guilds))
        # Everything built so far (the search index, discord.py's caches, the libraries) lives
        # as long as the process: move it out of the collector's way. Without this, full
        # collections paused the event loop for 100-300 ms at 300 interactions/s
        # (bench/interactions_bench.py load; see docs/benchmarks.md).
        gc.collect()
        gc.freeze()

    async def close(self) -> None:
        """Stop background work, let in-flight commands finish, then close everything."""
        if self.is_closed():
            return
        await self.reminders.stop()
        if self.events is not None:
            await self.events.stop()
        await self.pairing.stop()
        await self.knowledge.stop()
        await self.jobs.stop(SHUTDOWN_GRACE_SECONDS)  # anything else still running
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        while self.in_flight and time.monotonic() < deadline:  # noqa: ASYNC110 - bounded
            await asyncio.sleep(0.05)
        if self.in_flight:
            log.warning("stopping with %d interaction(s) unfinished", len(self.in_flight))
        await super().close()
        if self._health is not None:
            await self._health.stop()
        await self.database.dispose()

    @property
    def scheduler_running(self) -> bool:
        """Whether reminders are being scheduled (false when no announce channel is set)."""
        return self.reminders.running or self.settings.announce_channel_id is None

    @property
    def gateway_connected(self) -> bool:
        """Whether the gateway websocket is open."""
        return self.ws is not None and not self.is_closed() and self.ws.open
