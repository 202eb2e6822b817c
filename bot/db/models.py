"""SQLModel tables. Every schema change here needs a migration in `migrations/versions/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text, UniqueConstraint
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


class MilestoneRow(SQLModel, table=True):
    """A program deadline or event; reminders are derived from it."""

    __tablename__ = "milestone"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    due_at: datetime
    offsets: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    cohort: str | None = Field(default=None, max_length=32)
    deleted: bool = Field(default=False, index=True)
    created_by: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ReminderRow(SQLModel, table=True):
    """The delivery ledger: one row per (milestone, offset, due time); claimed before posting."""

    __tablename__ = "reminder"

    id: int | None = Field(default=None, primary_key=True)
    milestone_id: int = Field(foreign_key="milestone.id", index=True)
    offset_seconds: int
    due_at: datetime = Field(index=True)
    # pending -> claimed -> sent; or skipped (too late / past at creation), cancelled, failed
    status: str = Field(default="pending", max_length=16, index=True)
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
    status: str = Field(default="sent", max_length=16)  # sent | closed
    created_at: datetime = Field(default_factory=utcnow)
