"""Milestones and their reminders: the database is the source of truth, APScheduler the clock."""
