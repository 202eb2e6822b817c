"""SQLModel tables. Every schema change here needs a migration in `migrations/versions/`."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


class EntryRow(SQLModel, table=True):
    """The live state of one knowledge entry (soft-deleted rows stay)."""

    __tablename__ = "entry"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    title: str = Field(max_length=256)
    category: str = Field(max_length=32, index=True)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    misspellings: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    questions: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    related: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sources: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    version: int = Field(default=1)
    deleted: bool = Field(default=False, index=True)
    # Hash of the file content this row was last synchronised with; None for entries
    # that exist only in the database (created in Discord).
    file_hash: str | None = Field(default=None, max_length=64)
    # True while the live text differs from the file because a moderator edited it.
    edited_in_discord: bool = Field(default=False)
    # Set when the file changed while a moderator edit was live: the file's hash.
    conflict_file_hash: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


class EntryVersionRow(SQLModel, table=True):
    """An immutable snapshot of an entry after each change."""

    __tablename__ = "entry_version"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", index=True)
    version: int
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    origin: str = Field(max_length=16)  # file | retire | discord | remove | revert
    author_id: int | None = Field(default=None, sa_type=BigInteger)
    author_name: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)


class AuditRow(SQLModel, table=True):
    """Who did what, when: one row per change, written with the change."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, sa_type=BigInteger)
    actor_name: str | None = Field(default=None, max_length=100)
    action: str = Field(max_length=32)
    target: str = Field(max_length=100)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Delivery(StrEnum):
    """Where a post that must happen once stands (reminder rows and DM copies).

    pending (reminders) or retry (DM copies): waiting for its time; claimed: a process is
    posting it; sent; skipped (too late); cancelled (milestone changed or removed); failed (for
    good); closed (the member's DMs are closed)."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    RETRY = "retry"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    FAILED = "failed"
    CLOSED = "closed"


class GroupStatus(StrEnum):
    """A pairing group's introduction: pending -> claimed -> announced; or dropped (members
    left before the introduction). Its check-in, a member's check-in nudge and a round's
    notice: pending -> claimed -> posted."""

    PENDING = "pending"
    CLAIMED = "claimed"
    ANNOUNCED = "announced"
    DROPPED = "dropped"
    POSTED = "posted"


class EventStatus(StrEnum):
    """A milestone's Discord scheduled event: pending (changed since the last sync) -> claimed
    -> synced; or failed (for good, until the next change)."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SYNCED = "synced"
    FAILED = "failed"


class CheckinAnswer(StrEnum):
    """A member's answer to their group's check-in."""

    COLLABORATING = "collaborating"
    NEW_PARTNER = "new_partner"


def milestone_key(name: str) -> str:
    """What makes two milestone names the same: case and spacing do not count."""
    return " ".join(name.split()).casefold()


class MilestoneRow(SQLModel, table=True):
    """A program deadline or event; reminders are derived from it."""

    __tablename__ = "milestone"
    __table_args__ = (
        Index(
            "uq_milestone_live_name",
            "name_key",
            unique=True,
            sqlite_where=text("NOT deleted"),
            postgresql_where=text("NOT deleted"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, index=True)
    # `milestone_key(name)`, unique among live milestones; every save sets it (nullable only so
    # that migration 0006 could add it to existing rows)
    name_key: str | None = Field(default=None, max_length=100)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    due_at: datetime
    offsets: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    cohort: str | None = Field(default=None, max_length=32)
    deleted: bool = Field(default=False, index=True)
    # the Discord scheduled event that shows it, kept in step by `bot/reminders/events.py`
    event_id: int | None = Field(default=None, sa_type=BigInteger)
    event_status: str = Field(default=EventStatus.PENDING.value, max_length=16)  # `EventStatus`
    event_claimed_at: datetime | None = None
    event_claim_token: str | None = Field(default=None, max_length=36)
    created_by: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ReminderRow(SQLModel, table=True):
    """The delivery ledger: one row per (milestone, offset, due time); claimed before posting."""

    __tablename__ = "reminder"
    __table_args__ = (
        Index(  # one pending reminder per milestone and offset, whoever saves at once
            "uq_reminder_pending_offset",
            "milestone_id",
            "offset_seconds",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    milestone_id: int = Field(foreign_key="milestone.id", index=True)
    offset_seconds: int
    due_at: datetime = Field(index=True)
    # a `Delivery`: pending -> claimed -> sent; or skipped, cancelled, failed
    status: str = Field(default=Delivery.PENDING.value, max_length=16, index=True)
    claim_token: str | None = Field(default=None, max_length=36)
    claimed_at: datetime | None = None
    retry_at: datetime | None = None
    attempts: int = Field(default=0)
    sent_at: datetime | None = None
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    note: str = Field(default="", max_length=200)


class SubscriptionRow(SQLModel, table=True):
    """A member who wants DM copies of reminders."""

    __tablename__ = "reminder_subscription"

    user_id: int = Field(sa_type=BigInteger, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)


class DirectDeliveryRow(SQLModel, table=True):
    """The ledger of DM copies: at most one per (reminder, member)."""

    __tablename__ = "reminder_dm"
    __table_args__ = (UniqueConstraint("reminder_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    reminder_id: int = Field(foreign_key="reminder.id", index=True)
    user_id: int = Field(sa_type=BigInteger)
    status: str = Field(default=Delivery.SENT.value, max_length=16)  # a `Delivery`
    attempts: int = 0
    claimed_at: datetime | None = None
    retry_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class DoneRow(SQLModel, table=True):
    """A member marked a milestone done: no more DM copies of it for them."""

    __tablename__ = "milestone_done"

    milestone_id: int = Field(foreign_key="milestone.id", primary_key=True)
    user_id: int = Field(sa_type=BigInteger, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)


class SnoozeRow(SQLModel, table=True):
    """The ledger of snoozed DM copies: one more copy of a reminder, a day after the member
    pressed Snooze; at most one per (reminder, member)."""

    __tablename__ = "reminder_snooze"
    __table_args__ = (UniqueConstraint("reminder_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    reminder_id: int = Field(foreign_key="reminder.id", index=True)
    user_id: int = Field(sa_type=BigInteger)
    due_at: datetime = Field(index=True)
    status: str = Field(default=Delivery.PENDING.value, max_length=16)  # a `Delivery`
    attempts: int = 0
    claimed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class LearnerRow(SQLModel, table=True):
    """A learner's pairing profile."""

    __tablename__ = "learner"

    user_id: int = Field(sa_type=BigInteger, primary_key=True)
    name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    timezone: str = Field(max_length=64)
    stack: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    interests: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    project: str = Field(default="", max_length=200)
    active: bool = Field(default=True, index=True)
    paused_until: datetime | None = None
    first_in_line: bool = False  # left out of a round, or without a partner: placed first next
    joined_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AvoidRow(SQLModel, table=True):
    """`user_id` never wants to be matched with `avoided_id` (private)."""

    __tablename__ = "pairing_avoid"

    user_id: int = Field(sa_type=BigInteger, primary_key=True)
    avoided_id: int = Field(sa_type=BigInteger, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)


class RoundRow(SQLModel, table=True):
    """One pairing round; `slot` makes a scheduled round run once across replicas."""

    __tablename__ = "pairing_round"

    id: int | None = Field(default=None, primary_key=True)
    slot: str | None = Field(default=None, max_length=32, unique=True)
    started_by: int | None = Field(default=None, sa_type=BigInteger)
    score: float = 0.0
    created_at: datetime = Field(default_factory=utcnow)


class GroupRow(SQLModel, table=True):
    """A pair or trio of a round, and the progress of its introduction and check-in."""

    __tablename__ = "pairing_group"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="pairing_round.id", index=True)
    score: float = 0.0
    overlap_hours: float = 0.0
    shared: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=GroupStatus.PENDING.value, max_length=16, index=True)
    claim_token: str | None = Field(default=None, max_length=36)
    claimed_at: datetime | None = None
    thread_id: int | None = Field(default=None, sa_type=BigInteger)
    checkin_due: datetime | None = Field(default=None, index=True)
    checkin_status: str = Field(default=GroupStatus.PENDING.value, max_length=16)
    checkin_claimed_at: datetime | None = None


class MembershipRow(SQLModel, table=True):
    """A learner in a group; `active` until they ask for a new partner or leave."""

    __tablename__ = "pairing_member"
    __table_args__ = (
        Index(
            "uq_pairing_member_active_user",
            "user_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="pairing_group.id", index=True)
    user_id: int = Field(sa_type=BigInteger, index=True)
    role: str = Field(max_length=16)
    active: bool = Field(default=True)
    answer: str | None = Field(default=None, max_length=16)  # a `CheckinAnswer`
    answered_at: datetime | None = None
    unresponsive: bool = False  # a partner reported that they never answered
    nudge_status: str = Field(default=GroupStatus.PENDING.value, max_length=16)  # check-in nudge
    nudge_claimed_at: datetime | None = None


class UnplacedRow(SQLModel, table=True):
    """A learner a round could not place, and why (they stay in the pool)."""

    __tablename__ = "pairing_unplaced"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="pairing_round.id", index=True)
    user_id: int = Field(sa_type=BigInteger)
    reason: str = Field(max_length=300)
    notified: bool = Field(default=False)


class NoticeRow(SQLModel, table=True):
    """The post announcing a scheduled pairing round to the pool, once per round (`slot`)."""

    __tablename__ = "pairing_notice"

    id: int | None = Field(default=None, primary_key=True)
    slot: str = Field(max_length=32, unique=True)
    status: str = Field(default=GroupStatus.PENDING.value, max_length=16)
    claimed_at: datetime | None = None


class InteractionClaimRow(SQLModel, table=True):
    """Which interactions a process has taken: Discord sends each one to every replica
    logged in with the token, and only the one that inserts its row acts on it."""

    __tablename__ = "interaction_claim"

    id: int = Field(sa_type=BigInteger, primary_key=True)  # the interaction's snowflake
    created_at: datetime = Field(default_factory=utcnow, index=True)


class DeploymentRow(SQLModel, table=True):
    """This deployment's random key (one row), part of every post's nonce: Discord keeps an
    author's nonces across channels, so two deployments of one bot must never share one."""

    __tablename__ = "deployment"

    id: int = Field(default=1, primary_key=True)
    key: str = Field(max_length=32)


class AnswerKind(StrEnum):
    """What a /learn reply (or an opened entry) showed."""

    ANSWER = "answer"  # a confident entry
    MATCHES = "matches"  # the closest matches, no confident entry
    NOTHING = "nothing"  # nothing found
    OPENED = "opened"  # an entry opened from a button (no question of its own)


class AnswerRow(SQLModel, table=True):
    """One reply that showed knowledge: the normalized question (never who asked) and what was
    shown. Votes hang on it; it is deleted after the retention period."""

    __tablename__ = "learn_answer"

    id: int = Field(sa_type=BigInteger, primary_key=True)  # the interaction's snowflake
    kind: str = Field(max_length=16)
    question: str | None = Field(default=None, max_length=200, index=True)
    entry_slug: str | None = Field(default=None, max_length=64, index=True)
    best_slug: str | None = Field(default=None, max_length=64)
    picked: bool = False  # one of the closest matches was opened
    settled: bool = True  # closest matches wait unsettled until picked or counted as a gap
    created_at: datetime = Field(default_factory=utcnow, index=True)


class VoteRow(SQLModel, table=True):
    """A member's Helpful / Not helpful on one answer: one per member per answer."""

    __tablename__ = "learn_vote"

    answer_id: int = Field(
        sa_type=BigInteger, foreign_key="learn_answer.id", primary_key=True, ondelete="CASCADE"
    )
    member_id: int = Field(sa_type=BigInteger, primary_key=True)
    helpful: bool
    voted_at: datetime = Field(default_factory=utcnow)


class GapRow(SQLModel, table=True):
    """A question the knowledge base did not answer well, for moderators' inbox. No member
    ids: only the normalized question, how often and when, and the best suggestion (its votes
    are those on its answers, in `learn_vote`)."""

    __tablename__ = "knowledge_gap"

    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(max_length=200, unique=True)
    count: int = 0
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow, index=True)
    best_slug: str | None = Field(default=None, max_length=64)
    dismissed_at: int | None = None  # `count` when a moderator dismissed it
