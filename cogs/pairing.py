"""`/pair` for learners, `/pairing` for moderators; introductions and check-ins in threads."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Self

import discord
from discord import app_commands
from discord.ext import commands

from bot.db.models import LearnerRow
from bot.errors import DeliveryError, MemberLeft, UserError
from bot.pairing.chart import rounds_chart
from bot.pairing.service import Introduction, PairingService, PairingStats, RoundReport
from bot.timezones import suggest_timezones
from cogs.checks import (
    ModeratorGroup,
    lookup_cooldown,
    moderator_cooldown,
    pairing_cooldown,
)
from cogs.components import PersistentButton, dynamic_view, form_values, inert, payload
from cogs.delivery import retry_long_rate_limits
from cogs.errors import friendly_errors

if TYPE_CHECKING:
    from bot.app import NexusBot

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
MEMBERS_ONLY = discord.AllowedMentions(everyone=False, roles=False, users=True)
INTRO_HEADER = "👋 **Meet your Project Nexus partner"
CHECKIN_QUESTION = "How is your collaboration going?"
STATS_CHART = "pairing-stats.png"
DETAILS_FORM = "pair:details-form"
UNKNOWN_MEMBER = 10007  # Discord's code: the user is not (any more) in the server
NOTICE_HISTORY = 50  # recent announce-channel messages searched for a notice already posted
ASYNC_BELOW_HOURS = 1.0
ASYNC_TIPS = (
    "🌍 **Working hours barely meet, so work asynchronously:** write every decision down in "
    "this thread; keep the API contract in a shared file (an OpenAPI spec) so nobody waits for "
    "an answer; post a short update at the end of each day (done, next, blocked); review each "
    "other's pull requests within a day; and book one call a week at an hour you both accept."
)


def service(interaction: discord.Interaction[NexusBot]) -> PairingService:
    """The pairing service of the bot handling `interaction`."""
    return interaction.client.pairing


def intro_text(intro: Introduction) -> str:
    """The introduction posted in a group's thread."""
    many = len(intro.members) > 2
    lines = [f"{INTRO_HEADER}{'s' if many else ''}!**"]
    for member in intro.members:
        details = [f"**{member.role.capitalize()}**", member.timezone]
        if member.stack:
            details.append("stack: " + inert(", ".join(member.stack)))
        if member.project:
            details.append("project: " + inert(member.project))
        lines.append(f"• <@{member.user_id}> — " + " · ".join(details))
    lines.append(
        f"🕒 You share **{intro.overlap_hours:.1f} hours** of working time "
        "(09:00–18:00 in each of your time zones)."
    )
    if intro.overlap_hours < ASYNC_BELOW_HOURS:
        lines.append(ASYNC_TIPS)
    if intro.shared:
        lines.append("🤝 In common: " + inert(", ".join(intro.shared)))
    lines.append(
        "**First step:** agree your API contract — endpoints, request and response "
        "shapes, authentication and error format — before either of you builds on it. "
        "`/learn query: api contract` has tips."
    )
    return "\n".join(lines)[:2000]


async def acknowledge(interaction: discord.Interaction[NexusBot]) -> None:
    """Answer Discord at once, privately, before a database write that may wait for another
    (a pairing round being written): the reply follows when the write is done."""
    await interaction.response.defer(ephemeral=True, thinking=True)


class DiscordNotifier:
    """Threads, introductions, check-ins and DMs through discord.py."""

    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot

    async def _channel(self) -> discord.TextChannel:
        channel_id = self.bot.settings.announce_channel_id
        if channel_id is None:
            raise DeliveryError("NEXUS_ANNOUNCE_CHANNEL_ID is not set", retryable=False)
        channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        return channel

    @retry_long_rate_limits
    async def find_thread(self, marker: str) -> int | None:
        """A thread of the announce channel whose name ends with `marker`."""
        channel = await self._channel()
        try:
            threads = await channel.guild.active_threads()
        except discord.HTTPException as error:
            raise DeliveryError(f"threads: {error.status}", retryable=True) from error
        return next(
            (t.id for t in threads if t.parent_id == channel.id and t.name.endswith(marker)), None
        )

    @retry_long_rate_limits
    async def create_thread(self, name: str) -> int:
        """A private, non-invitable thread under the announce channel."""
        channel = await self._channel()
        try:
            thread = await channel.create_thread(
                name=name,
                invitable=False,
                type=discord.ChannelType.private_thread,
                auto_archive_duration=10080,
            )
        except discord.HTTPException as error:
            raise DeliveryError(
                f"thread: {error.status} {error.text}",
                retryable=error.status >= 500 or error.status == 429,
            ) from error
        return thread.id

    @retry_long_rate_limits
    async def add_member(self, thread_id: int, user_id: int) -> None:
        """Add a member (PUT: harmless when repeated)."""
        try:
            await self.bot.http.add_user_to_thread(thread_id, user_id)
        except discord.NotFound as error:
            if error.code == UNKNOWN_MEMBER:
                raise MemberLeft(user_id) from error
            raise DeliveryError(f"thread member: {error.status}", retryable=True) from error
        except discord.HTTPException as error:
            raise DeliveryError(f"thread member: {error.status}", retryable=True) from error

    async def _already_posted(self, thread_id: int, custom_id: str) -> bool:
        """Whether the bot already posted the message carrying the button `custom_id` in the
        thread (a crash after posting). By its button, not its text: an introduction quotes
        the learners' own words, which may contain anything."""
        thread = self.bot.get_partial_messageable(thread_id)
        async for message in thread.history(limit=None):
            if message.author.id != self.bot.user.id:  # type: ignore[union-attr]  # logged in
                continue
            for row in message.components:
                children = row.children if isinstance(row, discord.ActionRow) else [row]
                if any(getattr(item, "custom_id", None) == custom_id for item in children):
                    return True
        return False

    @retry_long_rate_limits
    async def introduce(self, thread_id: int, intro: Introduction, nonce: str) -> None:
        """Post the introduction once (checks the thread first, and posts with a nonce)."""
        try:
            button = UnresponsiveButton(intro.group_id)
            if await self._already_posted(thread_id, button.item.custom_id or ""):
                return
            await self.bot.get_partial_messageable(thread_id).send(
                intro_text(intro),
                view=dynamic_view(button),
                nonce=nonce,
                allowed_mentions=MEMBERS_ONLY,
            )
        except discord.HTTPException as error:
            raise DeliveryError(f"intro: {error.status}", retryable=True) from error

    @retry_long_rate_limits
    async def post(self, thread_id: int, content: str) -> None:
        """Post a plain note in the thread (no pings)."""
        try:
            await self.bot.get_partial_messageable(thread_id).send(
                content, allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as error:
            raise DeliveryError(f"thread note: {error.status}", retryable=True) from error

    @retry_long_rate_limits
    async def checkin(
        self, thread_id: int, group_id: int, member_ids: list[int], nonce: str
    ) -> None:
        """Ask how it is going, with the two buttons (never twice: a check-in already in the
        thread, posted before a crash, is not repeated)."""
        names = " ".join(f"<@{member}>" for member in member_ids)
        collaborating = CheckinButton(group_id, collaborating=True)
        view = dynamic_view(collaborating, CheckinButton(group_id, collaborating=False))
        try:
            if await self._already_posted(thread_id, collaborating.item.custom_id or ""):
                return
            await self.bot.get_partial_messageable(thread_id).send(
                f"{names} {CHECKIN_QUESTION} Tell us below (only you see the answer).",
                view=view,
                nonce=nonce,
                allowed_mentions=MEMBERS_ONLY,
            )
        except discord.HTTPException as error:
            raise DeliveryError(f"check-in: {error.status}", retryable=True) from error

    @retry_long_rate_limits
    async def notice(self, round_at: datetime, *, tried: bool) -> None:
        """Tell the pool in the announce channel, with Skip / Update buttons (once: with
        `tried`, a notice an earlier attempt posted is found in the recent history)."""
        channel = await self._channel()
        text = notice_text(round_at)
        try:
            if tried:
                async for message in channel.history(limit=NOTICE_HISTORY):
                    if message.author.id == self.bot.user.id and message.content == text:  # type: ignore[union-attr]  # logged in
                        return
            await channel.send(
                text,
                view=dynamic_view(SkipRoundButton(round_at), UpdateDetailsButton()),
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException as error:
            raise DeliveryError(f"round notice: {error.status}", retryable=True) from error

    async def direct(self, user_id: int, content: str, nonce: str | None = None) -> bool:
        """DM a learner (once per `nonce` within Discord's few minutes); False when they do
        not accept DMs."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            if nonce is None:
                await user.send(content, allowed_mentions=NO_PINGS)
            else:
                await user.send(content, allowed_mentions=NO_PINGS, nonce=nonce)
        except discord.Forbidden:
            return False
        except discord.HTTPException as error:
            retryable = error.status >= 500 or error.status == 429
            raise DeliveryError(f"DM: {error.status}", retryable=retryable) from error
        return True


class CheckinButton(
    PersistentButton,
    template=r"pair:checkin:(?P<group>\d{1,12}):(?P<answer>yes|no)",
):
    """'We're collaborating' / 'Need a new partner' (works after restarts)."""

    def __init__(self, group_id: int, *, collaborating: bool) -> None:
        label = "We're collaborating" if collaborating else "Need a new partner"
        style = discord.ButtonStyle.success if collaborating else discord.ButtonStyle.secondary
        answer = "yes" if collaborating else "no"
        super().__init__(
            discord.ui.Button(
                label=label, style=style, custom_id=f"pair:checkin:{group_id}:{answer}"
            )
        )
        self.group_id, self.collaborating = group_id, collaborating

    @classmethod
    def from_match(cls, match: re.Match[str], _label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls(int(match["group"]), collaborating=match["answer"] == "yes")

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the answer of the member who clicked."""
        text = await service(interaction).answer_checkin(
            self.group_id, interaction.user.id, self.collaborating
        )
        await interaction.response.send_message(text, ephemeral=True)


class UnresponsiveButton(
    PersistentButton,
    template=r"pair:unresponsive:(?P<group>\d{1,12})",
):
    """'Partner unresponsive' under an introduction (group members only; works after
    restarts): a new partner now if one waits, else first in line next round."""

    def __init__(self, group_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Partner unresponsive",
                emoji="📭",
                style=discord.ButtonStyle.secondary,
                custom_id=f"pair:unresponsive:{group_id}",
            )
        )
        self.group_id = group_id

    @classmethod
    def from_match(cls, match: re.Match[str], _label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls(int(match["group"]))

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Report the partner (privately); the reply follows the database writes."""
        await acknowledge(interaction)
        text = await service(interaction).report_unresponsive(self.group_id, interaction.user.id)
        await interaction.followup.send(text, ephemeral=True)


def notice_text(round_at: datetime) -> str:
    """The post that tells the pool a round is coming."""
    stamp = int(round_at.timestamp())
    return (
        f"📣 **The next pairing round is <t:{stamp}:R>** (<t:{stamp}:F>). In the pool? Nothing "
        "to do. Not this week? **Skip this round**. New time zone, stack or project? "
        "**Update my details**."
    )


class SkipRoundButton(PersistentButton, template=r"pair:skip:(?P<at>\d{1,12})"):
    """'Skip this round' under a round notice: sit that round out (works after restarts)."""

    def __init__(self, round_at: datetime) -> None:
        super().__init__(
            discord.ui.Button(
                label="Skip this round",
                style=discord.ButtonStyle.secondary,
                custom_id=f"pair:skip:{int(round_at.timestamp())}",
            )
        )
        self.round_at = round_at

    @classmethod
    def from_match(cls, match: re.Match[str], _label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls(datetime.fromtimestamp(int(match["at"]), UTC))

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Pause the clicker until the round is over."""
        await acknowledge(interaction)
        until = await service(interaction).skip_round(interaction.user.id, self.round_at)
        await interaction.followup.send(
            f"You'll sit this round out; you're back in the pool <t:{int(until.timestamp())}:R>.",
            ephemeral=True,
        )


class UpdateDetailsButton(PersistentButton, template=r"pair:details"):
    """'Update my details' under a round notice: a form with the learner's profile."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Update my details",
                style=discord.ButtonStyle.primary,
                custom_id="pair:details",
            )
        )

    @classmethod
    def from_match(cls, _match: re.Match[str], _label: str | None) -> Self:
        """Rebuild the button from a click."""
        return cls()

    @friendly_errors
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Open the form, filled in with the saved profile."""
        profile = await service(interaction).status(interaction.user.id)
        if profile is None or not profile.learner.active:
            raise UserError("You're not in the pool yet: /pair join role: … timezone: …")
        form = DetailsModal(profile.learner)
        form.stop()  # handled by custom_id (`Pair.on_details_form`), after restarts too
        await interaction.response.send_modal(form)


class DetailsModal(discord.ui.Modal):
    """The pairing profile form (time zone, stack, interests, project)."""

    def __init__(self, learner: LearnerRow) -> None:
        super().__init__(title="Your pairing details", custom_id=DETAILS_FORM, timeout=None)
        fields = (
            ("timezone", "Time zone (e.g. Africa/Lagos)", learner.timezone, 64, True),
            ("stack", "Stack, comma-separated", ", ".join(learner.stack), 300, False),
            ("interests", "Interests, comma-separated", ", ".join(learner.interests), 300, False),
            ("project", "Project idea, in a few words", learner.project, 200, False),
        )
        for custom_id, label, value, length, required in fields:
            self.add_item(
                discord.ui.TextInput(
                    label=label,
                    custom_id=custom_id,
                    default=value or None,
                    max_length=length,
                    required=required,
                )
            )


def round_embed(report: RoundReport, *, title: str) -> discord.Embed:
    """The groups of a round with their scores, and who is left out."""

    def name(user_id: int) -> str:
        return inert(report.names.get(user_id, str(user_id)))

    lines = []
    for number, group in enumerate(report.result.groups, start=1):
        members = " + ".join(
            f"{name(m)} ({'frontend' if m in group.frontend else 'backend'})" for m in group.members
        )
        shared = f" · shared: {inert(', '.join(group.shared[:4]))}" if group.shared else ""
        lines.append(
            f"{number}. {members} — score {group.score:.2f} · "
            f"{group.overlap_hours:.1f} h overlap{shared}"
        )
    for unplaced in report.result.unplaced:
        lines.append(f"✗ {name(unplaced.learner_id)}: {unplaced.reason}")
    description = "\n".join(lines) or "The pool is empty."
    if len(description) > 4000:
        description = description[:3990] + "\n…"
    embed = discord.Embed(title=title, description=description, color=0x2ECC71)
    embed.set_footer(
        text=f"{len(report.result.groups)} groups · "
        f"{len(report.result.unplaced)} not placed · "
        f"total score {report.result.score:.2f}"
    )
    return embed


async def send_preview(interaction: discord.Interaction[NexusBot]) -> None:
    """The groups a round would form now, privately; nothing is saved."""
    await interaction.response.defer(ephemeral=True, thinking=True)  # large pools take a while
    report = await service(interaction).preview()
    await interaction.followup.send(
        embed=round_embed(report, title="Pairing preview (nothing saved)"), ephemeral=True
    )


def stats_embed(stats: PairingStats) -> discord.Embed:
    """The figures of `/pairing stats` (the chart is attached as its image)."""
    share = stats.collaborating_share
    hours = stats.median_overlap_hours
    lines = [
        f"**Rounds:** {len(stats.rounds) - stats.rematches} · **rematches:** {stats.rematches}",
        f"**Groups:** {stats.groups}",
        "**Collaborating:** "
        + (f"{share:.0%} of the groups whose check-in has an answer" if share is not None else "—"),
        "**Median shared working hours:** " + (f"{hours:.1f} h" if hours is not None else "—"),
    ]
    embed = discord.Embed(title="Pairing stats", description="\n".join(lines), color=0x2ECC71)
    embed.set_image(url=f"attachment://{STATS_CHART}")
    embed.set_footer(text="Chart: #n = pairing round, rn = a rematch")
    return embed


class PairingGroup(
    ModeratorGroup, name="pairing", description="Run partner-matching rounds (moderators)"
):
    """Moderators run pairing rounds; hidden by default permissions, checked at runtime."""

    @app_commands.command(name="stats", description="Rounds, groups and how they are going")
    @moderator_cooldown
    async def stats(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Figures and a chart, privately."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        figures = await service(interaction).stats()
        chart = await asyncio.to_thread(rounds_chart, figures)
        await interaction.followup.send(
            embed=stats_embed(figures),
            file=discord.File(io.BytesIO(chart), filename=STATS_CHART),
            ephemeral=True,
        )

    @app_commands.command(name="preview", description="The groups a round would form now")
    @moderator_cooldown
    async def preview(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Show, save nothing."""
        await send_preview(interaction)

    @app_commands.command(name="run", description="Match the pool now and introduce the groups")
    @app_commands.describe(dry_run="Only show the groups (same as /pairing preview)")
    @moderator_cooldown
    async def run(self, interaction: discord.Interaction[NexusBot], dry_run: bool = False) -> None:
        """Run a round: persist, then introduce each group in its own thread."""
        if dry_run:
            await send_preview(interaction)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await service(interaction).run_round(actor_id=interaction.user.id)
        if report is None:
            raise UserError("Another round was running at the same moment; see /pairing preview.")
        await interaction.followup.send(
            embed=round_embed(report, title=f"Pairing round {report.round_id}"), ephemeral=True
        )


class Pair(
    commands.GroupCog, group_name="pair", group_description="Find a partner for Project Nexus"
):
    """Learners join the pool and manage their matching."""

    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        """Start rounds, introductions and check-ins."""
        await self.bot.pairing.start(DiscordNotifier(self.bot))

    async def cog_unload(self) -> None:
        """Stop what `cog_load` started (a sweep or round in flight finishes first)."""
        await self.bot.pairing.stop()

    @app_commands.command(name="join", description="Join the partner pool (again to update)")
    @app_commands.describe(
        role="Your track in Project Nexus",
        timezone="Where you work from, e.g. Africa/Lagos",
        stack="Technologies you use, comma-separated (react, django, ...)",
        interests="Project domains you like, comma-separated (fintech, health, ...)",
        project="Your project idea, in a few words",
    )
    @pairing_cooldown
    async def join(
        self,
        interaction: discord.Interaction[NexusBot],
        role: Literal["frontend", "backend"],
        timezone: app_commands.Range[str, 1, 64],
        stack: app_commands.Range[str, 0, 300] | None = None,
        interests: app_commands.Range[str, 0, 300] | None = None,
        project: app_commands.Range[str, 0, 200] | None = None,
    ) -> None:
        """Create or update the profile."""
        await acknowledge(interaction)
        row, joined = await self.bot.pairing.join(
            interaction.user.id,
            interaction.user.display_name,
            role,
            timezone,
            stack=stack,
            interests=interests,
            project=project,
        )
        verb = "You're in the pool" if joined else "Profile updated"
        details = f"**{row.role}** · {row.timezone}"
        if row.stack:
            details += " · " + inert(", ".join(row.stack))
        await interaction.followup.send(
            f"{verb}: {details}. You'll be introduced to your partner in a private thread.",
            ephemeral=True,
        )

    @commands.Cog.listener("on_interaction")
    async def on_details_form(self, interaction: discord.Interaction[NexusBot]) -> None:
        """The submitted details form, by custom_id (no memory of who opened it needed)."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        if payload(interaction).get("custom_id") == DETAILS_FORM:
            await self.save_details(interaction)

    @friendly_errors
    async def save_details(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Update the profile from the form (role, pause and place in the pool stay)."""
        values = form_values(payload(interaction))
        await acknowledge(interaction)
        row = await self.bot.pairing.update_details(
            interaction.user.id,
            values.get("timezone", ""),
            stack=values.get("stack", ""),
            interests=values.get("interests", ""),
            project=values.get("project", ""),
        )
        await interaction.followup.send(
            f"Details saved: **{row.role}** · {row.timezone}.", ephemeral=True
        )

    @join.autocomplete("timezone")
    async def timezone_autocomplete(
        self, _interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """IANA time zones close to what was typed."""
        return [app_commands.Choice(name=z, value=z) for z in suggest_timezones(current, 25)]

    @app_commands.command(name="leave", description="Leave the partner pool")
    @pairing_cooldown
    async def leave(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Leave the pool and any current group."""
        await acknowledge(interaction)
        left = await self.bot.pairing.leave(interaction.user.id)
        text = (
            "You left the pool. /pair join brings you back." if left else "You're not in the pool."
        )
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(name="pause", description="Skip pairing rounds for a while")
    @app_commands.describe(days="How many days (1-60)")
    @pairing_cooldown
    async def pause(
        self, interaction: discord.Interaction[NexusBot], days: app_commands.Range[int, 1, 60]
    ) -> None:
        """Pause matching."""
        await acknowledge(interaction)
        until = await self.bot.pairing.pause(interaction.user.id, days)
        await interaction.followup.send(
            f"Paused until <t:{int(until.timestamp())}:F>.", ephemeral=True
        )

    @app_commands.command(name="status", description="Your profile, partners and the pool")
    @lookup_cooldown  # a read: it does not count against the pairing commands' limit
    async def status(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Show the learner's status: profile, pause, partners, own avoid list, the pool."""
        profile = await self.bot.pairing.status(interaction.user.id)
        if profile is None:
            raise UserError("You haven't joined yet: /pair join role: … timezone: …")
        learner = profile.learner
        lines = [f"**{learner.role}** · {learner.timezone}"]
        for label, tags in (("Stack", learner.stack), ("Interests", learner.interests)):
            lines.append(f"{label}: {inert(', '.join(tags)) if tags else '—'}")
        lines.append(f"Project: {inert(learner.project) if learner.project else '—'}")
        if profile.avoiding:
            avoided = ", ".join(f"<@{user_id}>" for user_id in profile.avoiding)
            lines.append(f"Your avoid list (only you see it): {avoided} · `/pair unavoid` undoes")
        if not learner.active:
            lines.append("You left the pool.")
        elif learner.paused_until and learner.paused_until > self.bot.pairing.clock():
            lines.append(f"Paused until <t:{int(learner.paused_until.timestamp())}:F>.")
        if profile.partners:
            partners = ", ".join(f"<@{user_id}>" for user_id, _ in profile.partners)
            where = f" in <#{profile.thread_id}>" if profile.thread_id else ""
            lines.append(f"Your partners: {partners}{where}.")
        elif learner.active:
            lines.append(
                f"Waiting in the pool with {profile.pool_frontend} frontend and "
                f"{profile.pool_backend} backend learners."
            )
            if learner.first_in_line:
                lines.append("You're first in line for the next round.")
            if profile.next_round:
                lines.append(f"Next round <t:{int(profile.next_round.timestamp())}:R>.")
        await interaction.response.send_message(
            "\n".join(lines)[:2000], ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="avoid", description="Never match me with this member (private)")
    @app_commands.describe(member="Who to avoid; they are not told")
    @pairing_cooldown
    async def avoid(self, interaction: discord.Interaction[NexusBot], member: discord.User) -> None:
        """Add to the private avoid list."""
        await acknowledge(interaction)
        added = await self.bot.pairing.avoid(interaction.user.id, member.id)
        text = (
            "Done. You won't be matched with them, and they are not told."
            if added
            else "They're already on your avoid list."
        )
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(name="unavoid", description="Take a member off your avoid list")
    @app_commands.describe(member="Who may be matched with you again")
    @pairing_cooldown
    async def unavoid(
        self, interaction: discord.Interaction[NexusBot], member: discord.User
    ) -> None:
        """Remove from the private avoid list."""
        await acknowledge(interaction)
        removed = await self.bot.pairing.unavoid(interaction.user.id, member.id)
        text = (
            "Done. You may be matched with them again."
            if removed
            else "They're not on your avoid list."
        )
        await interaction.followup.send(text, ephemeral=True)


async def setup(bot: NexusBot) -> None:
    """Load the cogs, the moderator group and the persistent check-in buttons."""
    bot.add_dynamic_items(CheckinButton, UnresponsiveButton, SkipRoundButton, UpdateDetailsButton)
    bot.tree.add_command(PairingGroup())
    await bot.add_cog(Pair(bot))


async def teardown(bot: NexusBot) -> None:
    """Remove the group added in setup."""
    bot.tree.remove_command("pairing")
