"""Pairing rounds with the database and a fake Discord: persistence, resumption, check-ins."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.db import Database
from bot.db.models import GroupRow, LearnerRow, MembershipRow, RoundRow
from bot.errors import DeliveryError, UserError
from bot.pairing.chart import rounds_chart
from bot.pairing.schedule import last_occurrence, parse_schedule
from bot.pairing.service import (
    BAD_TIMEZONE_MESSAGE,
    NUDGE_RETRY_FOR,
    UNPLACED_MESSAGE,
    Introduction,
    PairingService,
)
from tests.helpers import NOW, Clock


class FakeDiscord:
    """Threads, intros, check-ins and DMs, recorded; failures on demand."""

    def __init__(self) -> None:
        self.threads: dict[int, str] = {}
        self.members: dict[int, set[int]] = {}
        self.intros: list[tuple[int, Introduction]] = []
        self.checkins: list[tuple[int, int]] = []
        self.dms: list[tuple[int, str]] = []
        self.dm_nonces: set[str] = set()
        self.notes: list[tuple[int, str]] = []
        self.fail_threads = 0
        self.crash_after_thread = False
        self.searches = 0
        self.notices: list[datetime] = []

    async def find_thread(self, marker: str) -> int | None:
        self.searches += 1
        return next((i for i, name in self.threads.items() if name.endswith(marker)), None)

    async def create_thread(self, name: str) -> int:
        if self.fail_threads:
            self.fail_threads -= 1
            raise DeliveryError("503", retryable=True)
        thread_id = 1000 + len(self.threads)
        self.threads[thread_id] = name
        if self.crash_after_thread:
            raise asyncio.CancelledError
        return thread_id

    async def add_member(self, thread_id: int, user_id: int) -> None:
        self.members.setdefault(thread_id, set()).add(user_id)

    async def introduce(self, thread_id: int, intro: Introduction, nonce: str) -> None:
        self.intros.append((thread_id, intro))

    async def checkin(
        self, thread_id: int, group_id: int, member_ids: list[int], nonce: str
    ) -> None:
        self.checkins.append((thread_id, group_id))

    async def direct(self, user_id: int, content: str, nonce: str | None = None) -> bool:
        if nonce is not None and nonce in self.dm_nonces:
            return True  # Discord returns the earlier message (within its few minutes)
        if nonce is not None:
            self.dm_nonces.add(nonce)
        self.dms.append((user_id, content))
        return True

    async def post(self, thread_id: int, content: str) -> None:
        self.notes.append((thread_id, content))

    async def notice(self, round_at: datetime, *, tried: bool) -> None:
        self.notices.append(round_at)


def make(database: Database, clock: Clock, **options: object) -> PairingService:
    return PairingService(
        database, checkin_after=timedelta(days=7), grace=timedelta(hours=6), clock=clock, **options
    )  # type: ignore[arg-type]


async def populate(service: PairingService, frontend: int, backend: int) -> None:
    for i in range(frontend):
        await service.join(100 + i, f"fe{i}", "frontend", "Africa/Lagos", stack="react")
    for i in range(backend):
        await service.join(200 + i, f"be{i}", "backend", "Africa/Nairobi", stack="django")


async def connected(
    database: Database, frontend: int, backend: int
) -> tuple[PairingService, FakeDiscord, Clock]:
    """A service on a hand-moved clock, talking to a fake Discord, with learners in the pool."""
    clock, discord = Clock(), FakeDiscord()
    service = make(database, clock)
    service.notifier = discord
    await populate(service, frontend, backend)
    return service, discord, clock


async def test_join_validates_and_updates(database: Database) -> None:
    service = make(database, Clock())
    with pytest.raises(UserError, match="Africa/Lagos"):
        await service.join(1, "ada", "frontend", "Afrika/Lagos")
    row, joined = await service.join(1, "ada", "frontend", "lagos", stack="React, TS, react")
    assert joined and row.timezone == "Africa/Lagos" and row.stack == ["react", "ts"]
    row, joined = await service.join(1, "ada", "backend", "UTC")
    assert not joined and row.role == "backend" and row.stack == ["react", "ts"]


async def test_round_is_persisted_and_announced_once(database: Database) -> None:
    service, discord, _ = await connected(database, 2, 3)
    report = await service.run_round(actor_id=9)
    assert report is not None
    assert sorted(len(g.members) for g in report.result.groups) == [2, 3]
    assert len(discord.threads) == len(discord.intros) == 2
    assert discord.searches == 0  # new groups never list the server's threads
    for thread_id, intro in discord.intros:
        assert discord.members[thread_id] == {m.user_id for m in intro.members}
    await service.sweep()
    assert len(discord.intros) == 2  # nothing twice
    status = await service.status(100)
    assert status is not None and status.partners and status.thread_id in discord.threads


async def test_unplaced_learners_are_told_why(database: Database) -> None:
    service, discord, _ = await connected(database, 1, 3)
    report = await service.run_round()
    assert report is not None and len(report.result.unplaced) == 1
    ((user_id, text),) = discord.dms
    assert user_id == report.result.unplaced[0].learner_id and "next" in text
    await service.sweep()
    assert len(discord.dms) == 1


async def test_a_learner_who_left_mid_round_is_not_announced(database: Database) -> None:
    service, discord = make(database, Clock()), FakeDiscord()
    await populate(service, 1, 1)
    await service.run_round()  # persisted; Discord not reachable yet
    await service.leave(200)
    service.notifier = discord
    await service.sweep()
    assert discord.intros == [] and discord.threads == {}
    assert [user for user, _ in discord.dms] == [100]
    status = await service.status(100)
    assert status is not None and not status.partners and status.pool_frontend == 1


async def test_failing_thread_does_not_abort_the_round(database: Database) -> None:
    service, discord, _ = await connected(database, 3, 3)
    discord.fail_threads = 1
    await service.run_round()
    assert len(discord.intros) == 2
    await service.sweep()
    assert len(discord.intros) == 3 and len(discord.threads) == 3


async def test_crash_after_creating_the_thread_resumes_without_a_second(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    crashed = make(database, clock)
    crashed.notifier = discord
    await populate(crashed, 1, 1)
    discord.crash_after_thread = True
    with pytest.raises(asyncio.CancelledError):
        await crashed.run_round()
    discord.crash_after_thread = False
    clock.now += timedelta(minutes=2)
    restarted = make(database, clock)
    restarted.notifier = discord
    await restarted.sweep()
    assert len(discord.threads) == 1 and len(discord.intros) == 1
    assert discord.searches == 1  # the group an attempt had claimed looks for its thread


async def test_checkin_posts_once_and_new_partner_returns_to_pool(database: Database) -> None:
    service, discord, clock = await connected(database, 1, 1)
    await service.run_round()
    await service.sweep()
    assert discord.checkins == []
    clock.now += timedelta(days=7, minutes=1)
    await service.sweep()
    await service.sweep()
    assert len(discord.checkins) == 1
    group_id = discord.checkins[0][1]
    with pytest.raises(UserError):
        await service.answer_checkin(group_id, 999, True)
    assert "keep going" in await service.answer_checkin(group_id, 100, True)
    assert "back in the pool" in await service.answer_checkin(group_id, 200, False)
    for user_id in (100, 200):
        status = await service.status(user_id)
        assert status is not None and not status.partners
    report = await service.preview()
    assert report.result.groups  # both are matchable again (with a repeat penalty)


async def test_paused_and_avoided_learners_are_respected(database: Database) -> None:
    service = make(database, Clock())
    await populate(service, 2, 2)
    await service.pause(101, 3)
    assert await service.avoid(100, 200) and not await service.avoid(100, 200)
    with pytest.raises(UserError):
        await service.avoid(100, 100)
    report = await service.preview()
    placed = {m for g in report.result.groups for m in g.members}
    assert 101 not in placed
    assert all({100, 200} - set(g.members) for g in report.result.groups)


async def test_scheduled_round_runs_once_across_replicas(database: Database) -> None:
    clock = Clock()
    schedule = parse_schedule("mon 09:00")
    first, second = (make(database, clock, schedule=schedule) for _ in range(2))
    await populate(first, 2, 2)
    slot = f"weekly-{last_occurrence(schedule, NOW):%Y-%m-%dT%H:%M}"  # type: ignore[arg-type]
    results = await asyncio.gather(first.run_round(slot=slot), second.run_round(slot=slot))
    assert sum(r is not None for r in results) == 1
    async with database.session() as session:
        assert len((await session.exec(select(RoundRow))).all()) == 1


async def test_missed_scheduled_round_runs_once_at_start(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()  # NOW is a Monday, 12:00 UTC: 3 h after 09:00
    service = make(database, clock, schedule=parse_schedule("mon 09:00"))
    await populate(service, 1, 1)
    await service.start(discord)
    await service.stop()
    restarted = make(database, clock, schedule=parse_schedule("mon 09:00"))
    await restarted.start(discord)
    await restarted.stop()
    assert len(discord.intros) == 1
    async with database.session() as session:
        assert len((await session.exec(select(RoundRow))).all()) == 1


async def test_nobody_is_in_two_active_groups(database: Database) -> None:
    service = make(database, Clock())
    await populate(service, 3, 3)
    await asyncio.gather(service.run_round(), service.run_round())
    async with database.session() as session:
        active = (
            await session.exec(
                select(MembershipRow.user_id).where(col(MembershipRow.active).is_(True))
            )
        ).all()
        groups = (await session.exec(select(GroupRow))).all()
    assert len(active) == len(set(active)) == 6 and len(groups) == 3


def test_schedule_parsing() -> None:
    assert parse_schedule("") is None
    assert parse_schedule("Mon 09:00") == (0, 9, 0)
    with pytest.raises(ValueError):
        parse_schedule("someday 25:00")
    assert last_occurrence((0, 9, 0), NOW) == datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert last_occurrence((0, 13, 0), NOW) == datetime(2026, 11, 16, 13, tzinfo=UTC)


async def test_whoever_was_left_out_is_first_in_line_and_told_neutrally(database: Database) -> None:
    """The unplaced learner hears nothing of avoid lists, and is placed in the next round."""
    service, discord = make(database, Clock()), FakeDiscord()
    service.notifier = discord
    await service.join(100, "fe", "frontend", "UTC", stack="vue")
    await service.join(200, "likes-fe", "backend", "UTC", stack="vue")
    await service.join(201, "avoided", "backend", "UTC", stack="cobol")
    await service.join(202, "also-likes-fe", "backend", "UTC", stack="vue")
    assert await service.avoid(100, 201)  # 201 is left out because of it
    report = await service.run_round()
    assert report is not None and [u.learner_id for u in report.result.unplaced] == [201]
    ((user_id, text),) = discord.dms
    assert user_id == 201 and text == UNPLACED_MESSAGE and "avoid" not in text.lower()
    profile = await service.status(201)
    assert profile is not None and profile.avoiding == ()  # no trace of who avoids them

    # Next round: two better-suited backend learners compete for one trio's places.
    await service.join(101, "fe2", "frontend", "UTC", stack="vue")
    await service.join(203, "vue-1", "backend", "UTC", stack="vue")
    await service.join(204, "vue-2", "backend", "UTC", stack="vue")
    report = await service.run_round()
    assert report is not None
    assert any(201 in group.members for group in report.result.groups)
    assert len(report.result.unplaced) == 1 and report.result.unplaced[0].learner_id != 201


async def test_status_lists_my_avoid_list_and_unavoid_undoes_it(database: Database) -> None:
    service = make(database, Clock())
    await populate(service, 1, 1)
    assert await service.avoid(100, 200)
    profile = await service.status(100)
    assert profile is not None and profile.avoiding == (200,)
    assert await service.unavoid(100, 200) and not await service.unavoid(100, 200)
    profile = await service.status(100)
    assert profile is not None and profile.avoiding == ()
    report = await service.preview()
    assert [set(g.members) for g in report.result.groups] == [{100, 200}]


async def introduced(service: PairingService, discord: FakeDiscord) -> int:
    """Run a round; the id of the first group."""
    report = await service.run_round()
    assert report is not None and discord.intros
    return discord.intros[0][1].group_id


async def test_a_silent_member_gets_one_checkin_reminder_after_48_hours(
    database: Database,
) -> None:
    service, discord, clock = await connected(database, 1, 1)
    group_id = await introduced(service, discord)
    clock.now += timedelta(days=7)
    await service.sweep()  # the check-in is posted
    assert len(discord.checkins) == 1
    await service.answer_checkin(group_id, 100, collaborating=True)
    clock.now += timedelta(hours=47)
    await service.sweep()
    assert discord.dms == []
    clock.now += timedelta(hours=2)
    replica = make(database, clock)
    replica.notifier = discord
    await asyncio.gather(service.sweep(), replica.sweep())  # two replicas: one reminder
    await service.sweep()
    ((user_id, text),) = discord.dms
    assert user_id == 200 and "only reminder" in text


async def nudge_due(database: Database) -> tuple[PairingService, FakeDiscord, Clock]:
    """A pair introduced, its check-in posted 49 hours ago and unanswered: nudges are due."""
    service, discord, clock = await connected(database, 1, 1)
    await introduced(service, discord)
    clock.now += timedelta(days=7)
    await service.sweep()
    clock.now += timedelta(hours=49)
    return service, discord, clock


async def test_a_nudge_sent_just_before_a_crash_is_not_sent_again(database: Database) -> None:
    service, discord, clock = await nudge_due(database)
    sent = discord.direct

    async def dm_then_die(user_id: int, content: str, nonce: str | None = None) -> bool:
        await sent(user_id, content, nonce)
        raise asyncio.CancelledError  # killed before the ledger says it was sent

    discord.direct = dm_then_die  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await service.nudge_silent_members()
    discord.direct = sent  # type: ignore[method-assign]
    clock.now += timedelta(minutes=2)  # the claim is stale: another replica takes it over
    replica = make(database, clock)
    replica.notifier = discord
    await replica.sweep()
    await replica.sweep()
    nudged = sorted(user for user, text in discord.dms if "only reminder" in text)
    assert nudged == [100, 200]  # one each, once


async def test_a_nudge_discord_fails_to_send_is_sent_by_a_later_sweep(database: Database) -> None:
    service, discord, clock = await nudge_due(database)
    sent, failures = discord.direct, [DeliveryError("DM: 503", retryable=True)] * 2

    async def flaky(user_id: int, content: str, nonce: str | None = None) -> bool:
        if failures:
            raise failures.pop()
        return await sent(user_id, content, nonce)

    discord.direct = flaky  # type: ignore[method-assign]
    await service.sweep()
    clock.now += timedelta(minutes=1)
    await service.sweep()
    nudged = sorted(user for user, text in discord.dms if "only reminder" in text)
    assert nudged == [100, 200]


async def test_a_nudge_discord_keeps_failing_is_given_up_within_minutes(
    database: Database,
) -> None:
    """Tried again only while Discord would still drop a repeat of it (its nonce), so a DM
    Discord made despite answering 5xx is never sent twice."""
    service, discord, clock = await nudge_due(database)
    tries = 0

    async def failing(user_id: int, content: str, nonce: str | None = None) -> bool:
        nonlocal tries
        tries += 1
        raise DeliveryError("DM: 503", retryable=True)

    discord.direct = failing  # type: ignore[method-assign]
    started, last_try = clock.now, clock.now
    for _ in range(10):
        before = tries
        await service.sweep()
        if tries > before:
            last_try = clock.now
        clock.now += timedelta(seconds=79)  # sweeps are not on the minute
    assert tries >= 4 and last_try - started < NUDGE_RETRY_FOR  # never after the window


async def test_reporting_an_unresponsive_partner_rematches_with_someone_waiting(
    database: Database,
) -> None:
    service, discord, clock = await connected(database, 1, 1)
    group_id = await introduced(service, discord)
    with pytest.raises(UserError, match="a day"):
        await service.report_unresponsive(group_id, 100)  # too early: give them a day
    clock.now += timedelta(hours=25)
    with pytest.raises(UserError):
        await service.report_unresponsive(group_id, 999)  # not a member
    await service.join(201, "waiting", "backend", "Africa/Lagos", stack="react")
    await service.join(202, "also waiting", "backend", "Africa/Lagos", stack="react")
    text = await service.report_unresponsive(group_id, 100)
    assert "new partner" in text
    assert len(discord.intros) == 2
    assert {m.user_id for m in discord.intros[1][1].members} in ({100, 201}, {100, 202})
    with pytest.raises(UserError):  # a second click: no longer in that group
        await service.report_unresponsive(group_id, 100)
    assert len(discord.intros) == 2


async def test_nobody_waiting_means_first_in_line_and_two_silences_pause(
    database: Database,
) -> None:
    service, discord, clock = await connected(database, 1, 1)
    group_id = await introduced(service, discord)
    clock.now += timedelta(days=1)
    text = await service.report_unresponsive(group_id, 100)
    assert "first in line" in text
    profile = await service.status(100)
    assert profile is not None and profile.learner.first_in_line and not profile.partners
    assert discord.dms == []  # one silence: no pause yet

    await service.join(101, "fe2", "frontend", "Africa/Lagos", stack="react")
    report = await service.run_round()  # 200 (silent once) meets someone new
    assert report is not None
    second = next(g for g in report.result.groups if 200 in g.members)
    other = next(m for m in second.members if m != 200)
    intro_group = discord.intros[-1][1].group_id
    clock.now += timedelta(days=1)
    await service.report_unresponsive(intro_group, other)
    ((user_id, message),) = discord.dms
    assert user_id == 200 and "/pair join" in message
    paused = await service.status(200)
    assert paused is not None and paused.learner.paused_until is not None
    await service.join(200, "be0", "backend", "Africa/Nairobi")  # /pair join brings them back
    back = await service.status(200)
    assert back is not None and back.learner.paused_until is None


async def test_stats_count_rounds_outcomes_rematches_and_shared_hours(database: Database) -> None:
    clock, discord = Clock(), FakeDiscord()
    service = make(database, clock)
    service.notifier = discord
    assert (await service.stats()).groups == 0
    await populate(service, 2, 2)
    await service.run_round()
    first, second = (intro.group_id for _, intro in discord.intros)
    clock.now += timedelta(days=7)
    await service.sweep()
    await service.answer_checkin(first, 100, collaborating=True)
    await service.join(202, "waiting", "backend", "Africa/Lagos")
    await service.report_unresponsive(second, 101)  # rematched with 202
    stats = await service.stats()
    assert [r.rematch for r in stats.rounds] == [False, True]
    assert (stats.rounds[0].collaborating, stats.rounds[0].new_partner) == (1, 1)
    assert stats.rounds[1].waiting == 1 and stats.rematches == 1 and stats.groups == 3
    assert stats.collaborating_share == 0.5
    assert stats.median_overlap_hours == 7.0  # Lagos-Nairobi pairs 7 h, the Lagos pair 9 h
    png = rounds_chart(stats)
    assert png.startswith(b"\x89PNG") and len(png) > 1000


async def test_the_pool_is_told_once_before_a_scheduled_round_and_can_skip_it(
    database: Database,
) -> None:
    schedule = parse_schedule("mon 09:00")
    assert schedule is not None
    clock, discord = Clock(), FakeDiscord()
    round_at = last_occurrence(schedule, clock.now) + timedelta(days=7)
    replicas = [make(database, clock, schedule=schedule, notice_before=timedelta(hours=24))]
    replicas.append(make(database, clock, schedule=schedule, notice_before=timedelta(hours=24)))
    for replica in replicas:
        replica.notifier = discord
    await populate(replicas[0], 1, 2)
    clock.now = round_at - timedelta(hours=25)
    await replicas[0].post_round_notice()
    assert discord.notices == []  # not yet
    clock.now = round_at - timedelta(hours=23)
    await asyncio.gather(*(replica.post_round_notice() for replica in replicas))
    await replicas[1].post_round_notice()
    assert discord.notices == [round_at]  # once, across replicas and sweeps

    until = await replicas[0].skip_round(201, round_at)
    assert until > round_at
    with pytest.raises(UserError):
        await replicas[0].skip_round(999, round_at)  # not in the pool
    clock.now = round_at
    report = await replicas[0].run_round(slot="weekly-test")
    assert report is not None
    assert all(201 not in group.members for group in report.result.groups)
    with pytest.raises(UserError):
        await replicas[0].skip_round(200, round_at)  # that round has run


async def test_a_trio_member_who_answered_is_not_blamed(database: Database) -> None:
    """Only members who never answered the check-in count as unresponsive; a rematch gives
    one partner, not two."""
    clock, discord = Clock(), FakeDiscord()
    service = make(database, clock)
    service.notifier = discord
    await populate(service, 1, 2)  # one trio: 100 + 200 + 201
    group_id = await introduced(service, discord)
    clock.now += timedelta(days=7)
    await service.sweep()
    await service.answer_checkin(group_id, 201, collaborating=True)
    for user_id in (300, 301):
        await service.join(user_id, f"waiting{user_id}", "frontend", "Africa/Lagos")
    await service.report_unresponsive(group_id, 200)  # 100 silent, 201 answered
    async with database.session() as session:
        rows = (await session.exec(select(MembershipRow))).all()
    flagged = {row.user_id for row in rows if row.unresponsive}
    assert flagged == {100}
    new_group = discord.intros[-1][1]
    assert len(new_group.members) == 2 and 200 in {m.user_id for m in new_group.members}


async def test_a_learner_whose_time_zone_is_gone_is_told_to_set_it_again(
    database: Database,
) -> None:
    service, discord, _ = await connected(database, 1, 1)
    async with database.session() as session:
        learner = await session.get(LearnerRow, 100)
        assert learner is not None
        learner.timezone = "Mars/Olympus_Mons"  # no longer in the time zone database
    await service.run_round()
    assert dict(discord.dms) == {100: BAD_TIMEZONE_MESSAGE, 200: UNPLACED_MESSAGE}


async def test_two_members_reporting_each_other_at_once_end_the_group_once(
    database: Database,
) -> None:
    """Both click 'Partner unresponsive' together: one report wins, the other is told the
    group is over; nobody is flagged twice or paused for it."""
    service, discord, clock = await connected(database, 1, 1)
    group_id = await introduced(service, discord)
    clock.now += timedelta(days=1)
    outcomes = await asyncio.gather(
        service.report_unresponsive(group_id, 100),
        service.report_unresponsive(group_id, 200),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, UserError)]
    assert len(refused) == 1 and all(isinstance(o, (str, UserError)) for o in outcomes)
    async with database.session() as session:
        rows = (await session.exec(select(MembershipRow))).all()
    assert sum(row.unresponsive for row in rows) == 1 and not any(row.active for row in rows)
