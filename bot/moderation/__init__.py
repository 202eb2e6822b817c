"""Moderation: who counts as a moderator, content edits, versions and the audit log."""
