"""Partner matching through the emulator: commands, threads, introductions, check-ins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import update

from bot.config import Settings
from bot.db.models import GroupRow, GroupStatus
from bot.pairing.schedule import parse_schedule
from bot.sandbox.cast import build_cast
from bot.sandbox.session import Sandbox, running_sandbox
from emulator.interactions import UsageError
from emulator.world import PRIVATE_THREAD, Message
from tests.helpers import A_SWEEP, step


async def join_all(sandbox: Sandbox) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    reply = await emulator.run(
        cast.learner,
        "pair join",
        role="frontend",
        timezone="Africa/Lagos",
        stack="React, TypeScript",
        interests="fintech",
    )
    assert "You're in the pool" in reply.content
    await emulator.run(
        cast.learner2,
        "pair join",
        role="backend",
        timezone="Africa/Nairobi",
        stack="django, postgresql",
        interests="fintech, health",
        project="Payments API **bold** @everyone",
    )


def threads(sandbox: Sandbox) -> list:  # type: ignore[type-arg]
    return [c for c in sandbox.emulator.world.channels.values() if c.type == PRIVATE_THREAD]


async def test_join_suggests_time_zones(sandbox: Sandbox) -> None:
    emulator, learner = sandbox.emulator, sandbox.cast.learner
    choices = await emulator.autocomplete(
        learner, "pair join", "timezone", role="frontend", timezone="nairob"
    )
    assert "Africa/Nairobi" in [c["value"] for c in choices]
    reply = await emulator.run(learner, "pair join", role="frontend", timezone="Afrika/Lagoss")
    assert reply.ephemeral and "Did you mean" in reply.content and "Africa/Lagos" in reply.content


async def test_round_introduces_the_pair_in_a_private_thread(sandbox: Sandbox) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    await join_all(sandbox)
    preview = await emulator.run(cast.moderator, "pairing preview")
    assert "Ada (frontend) + Linus (backend)" in preview.embeds[0]["description"]
    assert threads(sandbox) == []
    record = await emulator.slash(cast.moderator, "pairing run")
    summary = await record.wait_message()
    assert "1 groups" in summary.embeds[0]["footer"]["text"]
    (thread,) = threads(sandbox)
    assert thread.parent_id == cast.announce.id
    assert {cast.learner.id, cast.learner2.id} <= thread.member_ids
    intro = await emulator.wait_for_message(lambda m: m.channel_id == thread.id)
    assert f"<@{cast.learner.id}>" in intro.content and f"<@{cast.learner2.id}>" in intro.content
    assert "API contract" in intro.content and "fintech" in intro.content
    assert "\\*\\*bold\\*\\*" in intro.content and not intro.mention_everyone
    assert sorted(intro.mention_user_ids) == sorted([cast.learner.id, cast.learner2.id])
    status = await emulator.run(cast.learner, "pair status")
    assert f"<@{cast.learner2.id}>" in status.content and f"<#{thread.id}>" in status.content


async def test_a_long_rate_limit_on_thread_creation_makes_one_thread_later(
    sandbox: Sandbox,
) -> None:
    """A 150-s 429 is not slept through (the claim would go stale and a sweep would make a
    second thread): the group waits for a later sweep, which makes exactly one thread."""
    emulator, cast = sandbox.emulator, sandbox.cast
    await join_all(sandbox)
    emulator.faults.add("POST", r"/threads$", 429, retry_after=150)
    summary = await (await emulator.slash(cast.moderator, "pairing run")).wait_message()
    assert "1 groups" in summary.embeds[0]["footer"]["text"]
    assert threads(sandbox) == []
    for _ in range(3):
        await sandbox.bot.pairing.sweep()
    (thread,) = threads(sandbox)
    intro = await emulator.wait_for_message(lambda m: m.channel_id == thread.id)
    assert f"<@{cast.learner.id}>" in intro.content


async def test_a_checkin_posted_before_a_crash_is_not_posted_again(sandbox: Sandbox) -> None:
    """The check-in went out, then the process died before recording it; much later (Discord
    has forgotten the nonce) the next sweep finds it in the thread and does not ask twice."""
    emulator, cast = sandbox.emulator, sandbox.cast
    sandbox.bot.pairing.checkin_after = timedelta(0)
    await join_all(sandbox)
    await emulator.run(cast.moderator, "pairing run")
    await sandbox.bot.pairing.sweep()
    (thread,) = threads(sandbox)

    def checkins() -> list[Message]:
        return [
            m
            for m in emulator.world.channel_messages(thread.id)
            if "How is your collaboration" in m.content
        ]

    (posted,) = checkins()
    posted.created_monotonic -= 3600
    async with sandbox.bot.database.session() as session:
        await session.exec(update(GroupRow).values(checkin_status=GroupStatus.PENDING))  # type: ignore[call-overload]
    await sandbox.bot.pairing.sweep()
    assert len(checkins()) == 1


async def test_a_project_quoting_the_checkin_question_does_not_hide_the_checkin(
    sandbox: Sandbox,
) -> None:
    """The introduction quotes the learners' own words: the bot tells its posts apart by their
    buttons, not by what the words say."""
    emulator, cast = sandbox.emulator, sandbox.cast
    sandbox.bot.pairing.checkin_after = timedelta(0)
    await emulator.run(cast.learner, "pair join", role="frontend", timezone="Africa/Lagos")
    await emulator.run(
        cast.learner2,
        "pair join",
        role="backend",
        timezone="Africa/Nairobi",
        project="Survey bot: How is your collaboration going? answers",
    )
    await emulator.run(cast.moderator, "pairing run")
    await sandbox.bot.pairing.sweep()
    await sandbox.bot.pairing.sweep()
    (thread,) = threads(sandbox)
    posted = emulator.world.channel_messages(thread.id)
    assert len(posted) == 2  # the introduction, then the check-in
    assert posted[1].components and "Tell us below" in posted[1].content


async def test_a_learner_who_left_the_server_does_not_strand_their_partner(
    sandbox: Sandbox,
) -> None:
    """The bot is not told who leaves (no GUILD_MEMBERS intent); Discord refuses to add them
    to the thread (10007). Their partner is told at once and is back in the next round."""
    emulator, cast = sandbox.emulator, sandbox.cast
    await join_all(sandbox)
    emulator.leave(cast.learner2)  # linus leaves after joining the pool
    await emulator.run(cast.moderator, "pairing run")
    await sandbox.bot.pairing.sweep()
    dms = [
        m.content
        for m in emulator.world.channel_messages(emulator.world.dm_channel(cast.learner).id)
    ]
    assert any("Your partner left before the introduction" in text for text in dms)
    status = await emulator.run(cast.learner, "pair status")
    assert "<#" not in status.content  # no group, no thread: waiting for the next round
    (thread,) = threads(sandbox)  # ada was added before linus was refused: she sees why
    (note,) = emulator.world.channel_messages(thread.id)
    assert "left before the introduction" in note.content

    def member_adds() -> int:
        return sum("thread-members" in path for _m, path, _s in emulator.request_log)

    tried = member_adds()
    await step(sandbox.bots, A_SWEEP)  # no retry loop: nothing more is tried
    assert member_adds() == tried


async def test_dms_without_a_nonce_are_each_delivered(sandbox: Sandbox) -> None:
    """Only a DM that must go once carries a nonce: Discord drops any later message of the
    bot's with the same nonce, whoever it goes to."""
    notifier, world, cast = sandbox.bot.pairing.notifier, sandbox.emulator.world, sandbox.cast
    assert notifier is not None
    await notifier.direct(cast.learner.id, "first")
    await notifier.direct(cast.learner2.id, "second")
    for member, text in ((cast.learner, "first"), (cast.learner2, "second")):
        dms = world.channel_messages(world.dm_channel(member).id)
        assert [m.content for m in dms] == [text]


async def test_learners_cannot_run_rounds(sandbox: Sandbox) -> None:
    with pytest.raises(UsageError, match="hidden"):
        await sandbox.emulator.slash(sandbox.cast.learner, "pairing run")
    record = await sandbox.emulator.slash(
        sandbox.cast.learner, "pairing run", bypass_permissions=True
    )
    assert "Only moderators" in (await record.wait_message()).content


async def test_pause_leave_avoid_and_status(sandbox: Sandbox) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    assert "haven't joined" in (await emulator.run(cast.learner, "pair status")).content
    await join_all(sandbox)
    assert "Paused until" in (await emulator.run(cast.learner, "pair pause", days="3")).content
    avoid = await emulator.run(cast.learner2, "pair avoid", member="ada")
    assert "not told" in avoid.content
    status = await emulator.run(cast.learner2, "pair status")
    assert "Waiting in the pool" in status.content
    assert "left the pool" in (await emulator.run(cast.learner, "pair leave")).content
    assert "not in the pool" in (await emulator.run(cast.learner, "pair leave")).content


async def test_checkin_buttons_record_answers_and_survive_a_restart(settings: Settings) -> None:
    cast = build_cast()
    async with running_sandbox(settings, cast, guild_ready_timeout=0.05) as sandbox:
        sandbox.bot.pairing.checkin_after = timedelta(0)
        await join_all(sandbox)
        await sandbox.emulator.run(cast.moderator, "pairing run")
        await sandbox.bot.pairing.sweep()
        (thread,) = threads(sandbox)
        checkin = await sandbox.emulator.wait_for_message(
            lambda m: m.channel_id == thread.id and "How is your collaboration" in m.content
        )
    # The bot restarted: the buttons on the old message still work.
    async with running_sandbox(settings, cast, guild_ready_timeout=0.05) as sandbox:
        emulator = sandbox.emulator
        outsider = await (
            await emulator.click(cast.moderator, checkin, "We're collaborating")
        ).wait_message()
        assert "members of this group" in outsider.content
        yes = await (
            await emulator.click(cast.learner, checkin, "We're collaborating")
        ).wait_message()
        assert "keep going" in yes.content and yes.ephemeral
        no = await (
            await emulator.click(cast.learner2, checkin, "Need a new partner")
        ).wait_message()
        assert "back in the pool" in no.content
        status = await emulator.run(cast.learner2, "pair status")
        assert "Waiting in the pool" in status.content


async def test_status_shows_everything_and_avoid_leaves_no_trace(sandbox: Sandbox) -> None:
    """A first setup never hits the pairing limit; the avoided learner sees nothing of it."""
    emulator, cast = sandbox.emulator, sandbox.cast
    await join_all(sandbox)
    for _ in range(3):  # status is a read: not counted against the pairing commands' limit
        await emulator.run(cast.learner2, "pair status")
    await emulator.run(cast.learner2, "pair join", role="backend", timezone="Africa/Nairobi")
    avoid = await emulator.run(cast.learner2, "pair avoid", member="ada")
    assert "not told" in avoid.content
    status = await emulator.run(cast.learner2, "pair status")
    assert (
        "Interests: fintech, health" in status.content and "Project: Payments API" in status.content
    )
    assert f"avoid list (only you see it): <@{cast.learner.id}>" in status.content
    assert not status.mention_user_ids  # shown, never pinged
    theirs = await emulator.run(cast.learner, "pair status")
    assert "avoid" not in theirs.content.lower() and str(cast.learner2.id) not in theirs.content
    undone = await emulator.run(cast.learner2, "pair unavoid", member="ada")
    assert "matched with them again" in undone.content
    again = await emulator.run(cast.learner2, "pair unavoid", member="ada")
    assert "not on your avoid list" in again.content
    assert "avoid list" not in (await emulator.run(cast.learner2, "pair status")).content
    assert "cooldown" not in status.content.lower()


async def test_the_left_out_learner_gets_a_neutral_note_and_the_preview_says_why(
    sandbox: Sandbox,
) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    await join_all(sandbox)
    await emulator.run(cast.learner2, "pair avoid", member="ada")
    preview = await emulator.run(cast.moderator, "pairing preview")
    assert "avoid lists rule out every possible partner" in preview.embeds[0]["description"]
    await emulator.run(cast.moderator, "pairing run")
    note = await emulator.wait_for_message(
        lambda m: m.channel_id != cast.announce.id and "No partner" in m.content
    )
    assert "first in line" in note.content and "avoid" not in note.content.lower()
    status = await emulator.run(cast.learner, "pair status")
    assert "first in line for the next round" in status.content


async def test_a_pair_with_no_shared_hours_gets_async_tips(sandbox: Sandbox) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    await emulator.run(cast.learner, "pair join", role="frontend", timezone="Africa/Lagos")
    await emulator.run(cast.learner2, "pair join", role="backend", timezone="Pacific/Honolulu")
    await emulator.run(cast.moderator, "pairing run")
    (thread,) = threads(sandbox)
    intro = await emulator.wait_for_message(lambda m: m.channel_id == thread.id)
    assert "**0.0 hours**" in intro.content and "work asynchronously" in intro.content


async def test_partner_unresponsive_rematches_with_someone_waiting(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    await join_all(sandbox)
    await emulator.run(cast.moderator, "pairing run")
    (thread,) = threads(sandbox)
    intro = await emulator.wait_for_message(lambda m: m.channel_id == thread.id)
    outsider = await (
        await emulator.click(cast.moderator, intro, "Partner unresponsive")
    ).wait_message()
    assert "members of this group" in outsider.content and outsider.ephemeral
    early = await (await emulator.click(cast.learner, intro, "Partner unresponsive")).wait_message()
    assert "a day" in early.content
    monkeypatch.setattr("bot.pairing.service.REPORT_AFTER", timedelta(0))  # a day has passed
    await emulator.run(cast.moderator, "pair join", role="backend", timezone="Africa/Lagos")
    reply = await (await emulator.click(cast.learner, intro, "Partner unresponsive")).wait_message()
    assert "new partner" in reply.content and reply.ephemeral
    new_thread = next(t for t in threads(sandbox) if t.id != thread.id)
    assert {cast.learner.id, cast.moderator.id} <= new_thread.member_ids
    assert cast.learner2.id not in new_thread.member_ids
    status = await emulator.run(cast.learner2, "pair status")
    assert "Waiting in the pool" in status.content  # reported once: not paused


async def test_pairing_stats_show_figures_and_a_chart_to_moderators_only(
    sandbox: Sandbox,
) -> None:
    emulator, cast = sandbox.emulator, sandbox.cast
    await join_all(sandbox)
    await emulator.run(cast.moderator, "pairing run")
    stats = await emulator.run(cast.moderator, "pairing stats")
    assert stats.ephemeral and "**Groups:** 1" in stats.embeds[0]["description"]
    assert stats.files["pairing-stats.png"].startswith(b"\x89PNG")
    assert stats.embeds[0]["image"]["url"] == "attachment://pairing-stats.png"
    record = await emulator.slash(cast.learner, "pairing stats", bypass_permissions=True)
    assert "Only moderators" in (await record.wait_message()).content


async def test_round_notice_lets_learners_skip_or_update_their_details(sandbox: Sandbox) -> None:
    emulator, cast, pairing = sandbox.emulator, sandbox.cast, sandbox.bot.pairing
    await join_all(sandbox)
    pairing.schedule = parse_schedule("mon 09:00")
    pairing.notice_before = timedelta(days=8)  # whenever this test runs, the round is close
    await pairing.sweep()
    await pairing.sweep()
    notices = [m for m in emulator.world.messages.values() if "next pairing round" in m.content]
    assert len(notices) == 1 and notices[0].channel_id == cast.announce.id
    (notice,) = notices
    assert not notice.mention_everyone and not notice.mention_user_ids

    skip = await (await emulator.click(cast.learner, notice, "Skip this round")).wait_message()
    assert "sit this round out" in skip.content and skip.ephemeral
    status = await emulator.run(cast.learner, "pair status")
    assert "Paused until" in status.content
    mine = await emulator.click(cast.learner, notice, "Update my details")
    await mine.wait_ack()
    await (await emulator.submit_modal(cast.learner, mine, {"stack": "vue"})).wait_message()
    status = await emulator.run(cast.learner, "pair status")
    assert "Paused until" in status.content and "Stack: vue" in status.content  # still skipping

    opened = await emulator.click(cast.learner2, notice, "Update my details")
    await opened.wait_ack()
    assert opened.modal is not None
    saved = await (
        await emulator.submit_modal(
            cast.learner2, opened, {"timezone": "lagos", "project": "Ride sharing API"}
        )
    ).wait_message()
    assert "Details saved" in saved.content and "Africa/Lagos" in saved.content
    status = await emulator.run(cast.learner2, "pair status")
    assert "Project: Ride sharing API" in status.content
    assert "Stack: django, postgresql" in status.content  # kept: prefilled in the form

    outsider = await (await emulator.click(cast.admin, notice, "Update my details")).wait_message()
    assert "not in the pool" in outsider.content


async def test_a_silent_member_gets_one_checkin_reminder_by_dm(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, cast, pairing = sandbox.emulator, sandbox.cast, sandbox.bot.pairing
    await join_all(sandbox)
    await emulator.run(cast.moderator, "pairing run")
    await pairing.make_checkins_due()
    await pairing.sweep()
    (thread,) = threads(sandbox)
    checkin = await emulator.wait_for_message(
        lambda m: m.channel_id == thread.id and "How is your collaboration" in m.content
    )
    await (await emulator.click(cast.learner, checkin, "We're collaborating")).wait_message()
    monkeypatch.setattr("bot.pairing.service.NUDGE_AFTER", timedelta(0))  # 48 h have passed
    await pairing.sweep()
    await pairing.sweep()
    dm = emulator.world.dm_channel(cast.learner2)
    reminders = [m for m in emulator.world.messages.values() if m.channel_id == dm.id]
    assert len(reminders) == 1 and "only reminder" in reminders[0].content
    assert f"<#{thread.id}>" in reminders[0].content
    answered = emulator.world.dm_channel(cast.learner)
    assert not [m for m in emulator.world.messages.values() if m.channel_id == answered.id]


async def test_a_notice_posted_before_a_crash_is_not_posted_again(sandbox: Sandbox) -> None:
    """The claim went stale after the post (a crash before it was recorded): the retry finds
    the notice in the channel instead of posting a second one."""
    emulator, cast, notifier = sandbox.emulator, sandbox.cast, sandbox.bot.pairing.notifier
    assert notifier is not None
    round_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    await notifier.notice(round_at, tried=False)
    await notifier.notice(round_at, tried=True)  # the retry after the crash
    posted = [m for m in emulator.world.messages.values() if "next pairing round" in m.content]
    assert len(posted) == 1 and posted[0].channel_id == cast.announce.id
