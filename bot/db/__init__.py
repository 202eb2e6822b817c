"""Database access: the async engine, sessions, tables and migrations."""

from bot.db.engine import Database, violates

__all__ = ["Database", "violates"]
