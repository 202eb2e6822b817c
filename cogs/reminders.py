"""`/deadlines` (with an Add to calendar button), `/reminders`, and the moderators'
`/milestone` group; posts reminders."""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Self

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import DeliveryError, UserError, quoted
from bot.reminders.calendar import milestones_calendar
from bot.reminders.events import EventDraft
from bot.reminders.parsing import (
    describe_offset,
    format_offset,
    parse_due,
    parse_offsets,
    refuse_past,
)
from bot.reminders.service import MilestoneInfo, ReminderService
from cogs.checks import (
    ModeratorGroup,
    ensure_moderator,
    lookup_cooldown,
    moderator_cooldown,
)
from cogs.components import PersistentButton, dynamic_view
from cogs.delivery import post_to_modlog, retry_long_rate_limits
from cogs.errors import friendly_errors

if TYPE_CHECKING:
    from bot.app import NexusBot

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()


def stamp(moment: datetime, style: str = "F") -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def service(interaction: discord.Interaction[NexusBot]) -> ReminderService:
    """The reminder service of the bot handling `interaction`."""
    return interaction.client.reminders


def milestones_changed(interaction: discord.Interaction[NexusBot]) -> None:
    """Bring the milestones' Discord events in step now, rather than at the next sync."""
    events = interaction.client.events
    if events is not None:
        events.request()


class DiscordPoster:
    """Delivers reminders through discord.py; maps failures to `DeliveryError`."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @retry_long_rate_limits
    async def post(self, channel_id: int, content: str, nonce: str) -> int:
        """Post with a nonce (discord.py sends enforce_nonce), so a retry cannot double."""
        channel = self.bot.get_partial_messageable(channel_id)
        try:
            message = await channel.send(content, nonce=nonce, allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            retryable = error.status >= 500 or error.status == 429
            raise DeliveryError(f"{error.status} {error.text}", retryable=retryable) from error
        return message.id

    @retry_long_rate_limits
    async def find_since(
        self, channel_id: int, content: str, since: datetime, exclude: frozenset[int]
    ) -> int | None:
        """A message of ours with the first line of `content` posted after `since` and not in
        `exclude` (a try after a failure or a crash; later lines, such as the count of done
        marks, may have changed), paging through everything posted since then."""
        channel = self.bot.get_partial_messageable(channel_id)
        head = content.split("\n", 1)[0]
        try:
            async for message in channel.history(limit=None, after=since, oldest_first=True):
                mine = message.author.id == self.bot.user.id  # type: ignore[union-attr]  # logged in
                if mine and message.id not in exclude and message.content.split("\n", 1)[0] == head:
                    return message.id
        except discord.HTTPException as error:  # without Read Message History: tell moderators
            retryable = error.status >= 500 or error.status == 429
            raise DeliveryError(f"history: {error.status}", retryable=retryable) from error
        return None

    async def alert(self, text: str) -> None:
        """Post to the mod-log channel when one is configured; otherwise only log."""
        log.error("moderators' attention: %s", text)
        await post_to_modlog(self.bot, text)

    @retry_long_rate_limits
    async def direct(
        self, user_id: int, content: str, nonce: str, reminder_id: int | None = None
    ) -> bool:
        """DM a copy (with Done and Snooze for a reminder); False when the member does not
        accept DMs."""
        view = (
            dynamic_view(CopyButton("done", reminder_id), CopyButton("snooze", reminder_id))
            if reminder_id is not None
            else discord.utils.MISSING
        )
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(content, nonce=nonce, view=view, allowed_mentions=NO_PINGS)
        except discord.Forbidden:
            return False
        except discord.HTTPException as error:
            retryable = error.status >= 500 or error.status == 429
            raise DeliveryError(f"{error.status} {error.text}", retryable=retryable) from error
        return True


class DiscordEvents:
    """`EventsGateway` over discord.py: the guild's scheduled events."""

    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot

    async def _guild(self) -> discord.Guild:
        await self.bot.wait_until_ready()
        settings = self.bot.settings
        guild = (
            self.bot.get_guild(settings.guild_id)
            if settings.guild_id
            else next(iter(self.bot.guilds), None)
        )
        if guild is None:
            raise DeliveryError("the bot is in no guild yet", retryable=True)
        return guild

    async def create(self, draft: EventDraft) -> int:
        """Create the external event."""
        guild = await self._guild()
        with _event_errors():
            event = await guild.create_scheduled_event(
                name=draft.name,
                description=draft.description,
                start_time=draft.start,
                end_time=draft.end,
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location=draft.location,
            )
        return event.id

    async def update(self, event_id: int, draft: EventDraft) -> bool:
        """Edit the event; False when it was deleted (by a moderator, say)."""
        guild = await self._guild()
        with _event_errors():
            try:
                event = await guild.fetch_scheduled_event(event_id)
            except discord.NotFound:
                return False
            await event.edit(
                name=draft.name,
                description=draft.description,
                start_time=draft.start,
                end_time=draft.end,
                location=draft.location,
            )
        return True

    async def delete(self, event_id: int) -> None:
        """Delete the event; one already gone is fine."""
        guild = await self._guild()
        with _event_errors(), contextlib.suppress(discord.NotFound):
            await self.bot.http.delete_scheduled_event(guild.id, event_id)

    async def find(self, marker: str) -> int | None:
        """The event of ours whose description ends with `marker`."""
        guild = await self._guild()
        with _event_errors():
            events = await guild.fetch_scheduled_events(with_counts=False)
        return next((e.id for e in events if (e.description or "").endswith(marker)), None)

    async def alert(self, text: str) -> None:
        """Post to the mod-log channel when one is configured."""
        await post_to_modlog(self.bot, text)


@contextlib.contextmanager
def _event_errors() -> Iterator[None]:
    """discord.py's errors as `DeliveryError`: a missing permission cannot be retried."""
    try:
        yield
    except discord.Forbidden as error:
        raise DeliveryError(f"{error.status} {error.text}", retryable=False) from error
    except discord.HTTPException as error:
        retryable = error.status >= 500 or error.status == 429
        raise DeliveryError(f"{error.status} {error.text}", retryable=retryable) from error


def milestone_line(info: MilestoneInfo, *, done: bool = False) -> str:
    """One milestone in a list (marked when the reader marked it done)."""
    line = (
        f"**{discord.utils.escape_markdown(info.name)}** — {stamp(info.due_at)} "
        f"({stamp(info.due_at, 'R')})"
    )
    if done:
        line += " ✅ done"
    if info.pending:
        line += f"\n  next reminder {stamp(info.pending[0], 'R')}"
    return line


class MilestoneGroup(
    ModeratorGroup, name="milestone", description="Manage program milestones (moderators)"
):
    """Moderators manage deadlines; hidden by default permissions and checked at runtime."""

    @app_commands.command(name="add", description="Add or update a milestone and its reminders")
    @app_commands.describe(
        name="Milestone name (an existing name updates it)",
        due="Due time with a zone: 2026-11-30T17:00:00Z or 2026-11-30 17:00 Africa/Lagos",
        offsets="When to remind before it, e.g. 7d,3d,1d,2h,0m",
        description="What learners should do",
        past="Record a due time that has already passed (its reminders are not sent)",
    )
    @moderator_cooldown
    async def add(
        self,
        interaction: discord.Interaction[NexusBot],
        name: app_commands.Range[str, 1, 100],
        due: app_commands.Range[str, 1, 60],
        offsets: str | None = None,
        description: app_commands.Range[str, 0, 1000] = "",
        past: bool = False,
    ) -> None:
        """Save a milestone."""
        parsed_offsets = parse_offsets(offsets) if offsets else None
        due_at = parse_due(due)
        refuse_past(due_at, service(interaction).clock(), past=past)
        await interaction.response.defer(ephemeral=True)  # the save may wait for the database
        info, created = await service(interaction).save_milestone(
            name, due_at, parsed_offsets, description, actor_id=interaction.user.id
        )
        milestones_changed(interaction)
        verb = "Added" if created else "Updated"
        reminders = ", ".join(describe_offset(o) for o in info.offsets)
        pending = len(info.pending)
        await interaction.followup.send(
            f"{verb} {milestone_line(info)}\nReminders: {reminders} ({pending} still to come).",
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="remove", description="Remove a milestone and cancel its reminders")
    @app_commands.describe(name="The milestone")
    @moderator_cooldown
    async def remove(self, interaction: discord.Interaction[NexusBot], name: str) -> None:
        """Remove a milestone."""
        await interaction.response.defer(ephemeral=True)  # the removal may wait for the database
        removed = await service(interaction).remove_milestone(name, actor_id=interaction.user.id)
        milestones_changed(interaction)
        text = (
            f"Removed {milestone_line(removed)}\nIts pending reminders are cancelled."
            if removed
            else f"There is no milestone called {quoted(name)} (pick one from the list)."
        )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)

    @remove.autocomplete("name")
    async def remove_autocomplete(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Active milestone names."""
        names = await service(interaction).names(current)
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names]

    @app_commands.command(name="list", description="All milestones with their reminders")
    @moderator_cooldown
    async def list(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Every active milestone."""
        infos = await service(interaction).all_milestones()
        lines = [
            milestone_line(i) + "\n  offsets " + ",".join(format_offset(o) for o in i.offsets)
            for i in infos
        ]
        embed = discord.Embed(
            title="Milestones",
            color=0xE91E63,
            description="\n".join(lines)[:4000] or "No milestones yet.",
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    cohort = app_commands.Group(name="cohort", description="Milestones for a new cohort")

    @cohort.command(name="start", description="Preview and create a new cohort's milestones")
    @app_commands.describe(start="The cohort's first day, YYYY-MM-DD")
    @moderator_cooldown
    async def cohort_start(
        self, interaction: discord.Interaction[NexusBot], start: app_commands.Range[str, 10, 10]
    ) -> None:
        """Show what the cohort gets, with a button to create it all."""
        try:
            first_day = date.fromisoformat(start)
        except ValueError:
            raise UserError("Write the start date as YYYY-MM-DD, e.g. 2026-01-05.") from None
        planned = service(interaction).plan(first_day)
        lines = [f"**{p.name}** — {stamp(p.due_at)}" for p in planned]
        embed = discord.Embed(
            title=f"Cohort starting {first_day.isoformat()}",
            description="\n".join(lines)[:4000],
            color=0xE91E63,
        )
        embed.set_footer(text="Nothing is saved until you confirm.")
        view = dynamic_view(ConfirmCohortButton(first_day))
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


COPY_BUTTONS = {
    "done": ("Done", "✅", discord.ButtonStyle.success),
    "snooze": ("Snooze 1 day", "😴", discord.ButtonStyle.secondary),
}
"""Label, emoji and style of the buttons on a DM copy, by action."""


class CopyButton(
    PersistentButton,
    template=r"reminder:(?P<action>done|snooze):(?P<reminder>\d+)",
):
    """On a DM copy of a reminder: *Done* (no more DM copies of that milestone for the
    member) or *Snooze 1 day* (this reminder once more, a day later)."""

    def __init__(self, action: str, reminder_id: int) -> None:
        label, emoji, style = COPY_BUTTONS[action]
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=emoji,
                style=style,
                custom_id=f"reminder:{action}:{reminder_id}",
            )
        )
        self.action, self.reminder_id = action, reminder_id

    @classmethod
    def from_match(cls, match: re.Match[str], _label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls(match["action"], int(match["reminder"]))

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the done mark, or schedule the one more copy."""
        await interaction.response.defer(ephemeral=True)
        reminders, member = service(interaction), interaction.user.id
        if self.action == "done":
            name = await reminders.mark_done(self.reminder_id, member)
            text = (
                f"Marked **{discord.utils.escape_markdown(name)}** done. No more DM reminders "
                "for it; /deadlines shows your done marks."
            )
        else:
            due = await reminders.snooze(self.reminder_id, member)
            text = f"Snoozed: I'll DM you this reminder again {stamp(due, 'R')}."
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)


class AddToCalendarButton(PersistentButton, template=r"deadlines:calendar"):
    """Sends every milestone as an `.ics` file, privately, for the member's calendar app."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label="Add to calendar", emoji="📅", custom_id="deadlines:calendar")
        )

    @classmethod
    def from_match(cls, _match: re.Match[str], _label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls()

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Attach the calendar file to a private reply."""
        milestones = await service(interaction).calendar()
        if not milestones:
            await interaction.response.send_message(
                "There are no milestones to add yet.", ephemeral=True
            )
            return
        ics = milestones_calendar(milestones, title="ProDev deadlines", now=discord.utils.utcnow())
        await interaction.response.send_message(
            "Open the file to add every deadline, with its reminders, to your calendar. "
            "Changed deadlines update the same events when you import it again.",
            file=discord.File(io.BytesIO(ics), filename="prodev-deadlines.ics"),
            ephemeral=True,
        )


class ConfirmCohortButton(
    PersistentButton,
    template=r"milestone:cohort:(?P<start>\d{4}-\d{2}-\d{2})",
):
    """Creates the previewed cohort's milestones (moderators only, checked on click)."""

    def __init__(self, start: date) -> None:
        super().__init__(
            discord.ui.Button(
                label="Create these milestones",
                style=discord.ButtonStyle.success,
                custom_id=f"milestone:cohort:{start.isoformat()}",
            )
        )
        self.start = start

    @classmethod
    def from_match(cls, match: re.Match[str], _label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls(date.fromisoformat(match["start"]))

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Create the milestones (saving again is harmless: names are unique)."""
        ensure_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        created = await service(interaction).create_cohort(self.start, actor_id=interaction.user.id)
        milestones_changed(interaction)
        await interaction.followup.send(
            f"Created {len(created)} milestones for the cohort starting {self.start}.",
            ephemeral=True,
        )


class Reminders(commands.Cog):
    """Deadlines for learners, milestone management for moderators."""

    reminders = app_commands.Group(name="reminders", description="Reminders in your DMs")

    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """Start delivering reminders and keeping the milestones' Discord events in step."""
        await self.bot.reminders.start(DiscordPoster(self.bot))
        if self.bot.events is not None:
            await self.bot.events.start(DiscordEvents(self.bot))

    async def cog_unload(self) -> None:
        """Stop what `cog_load` started (deliveries in flight finish first), so reload works."""
        await self.bot.reminders.stop()
        if self.bot.events is not None:
            await self.bot.events.stop()

    @app_commands.command(
        name="deadlines", description="Upcoming program deadlines, in your time zone"
    )
    @lookup_cooldown
    async def deadlines(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Upcoming milestones with Discord timestamps."""
        infos = await self.bot.reminders.upcoming(limit=10)
        done = await self.bot.reminders.done_marks(interaction.user.id)
        embed = discord.Embed(
            title="Upcoming deadlines",
            color=0xE91E63,
            description="\n".join(milestone_line(i, done=i.id in done) for i in infos)[:4000]
            or "No upcoming deadlines. Enjoy the calm!",
        )
        embed.set_footer(
            text="Times are shown in your own time zone. /reminders subscribe "
            "sends copies to your DMs."
        )
        await interaction.response.send_message(
            embed=embed, view=dynamic_view(AddToCalendarButton()), ephemeral=True
        )

    @reminders.command(name="subscribe", description="Get a DM copy of every reminder")
    @lookup_cooldown
    async def subscribe(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Subscribe to DM copies."""
        added = await self.bot.reminders.subscribe(interaction.user.id)
        text = (
            "You'll get a DM copy of every reminder. Keep DMs from server members open."
            if added
            else "You're already subscribed."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @reminders.command(name="unsubscribe", description="Stop DM copies of reminders")
    @lookup_cooldown
    async def unsubscribe(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Unsubscribe from DM copies."""
        removed = await self.bot.reminders.unsubscribe(interaction.user.id)
        text = "No more reminder DMs." if removed else "You weren't subscribed."
        await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: NexusBot) -> None:
    """Load the cog, the moderator group and the persistent confirm button."""
    bot.add_dynamic_items(ConfirmCohortButton, AddToCalendarButton, CopyButton)
    bot.tree.add_command(MilestoneGroup())
    await bot.add_cog(Reminders(bot))


async def teardown(bot: NexusBot) -> None:
    """Remove the group added in setup."""
    bot.tree.remove_command("milestone")
