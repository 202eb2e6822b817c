"""The feedback service on a database with one entry (Docker), on a clock the test moves."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.db import Database
from bot.feedback import FeedbackService
from bot.knowledge.service import KnowledgeService
from bot.moderation.content import ContentService
from tests.helpers import DOCKER, NOW, Clock, write_entry


@pytest.fixture
async def feedback(database: Database, tmp_path: Path) -> FeedbackService:
    """A feedback service whose clock (a `Clock`) starts at `NOW`."""
    root = tmp_path / "content"
    write_entry(root, DOCKER)
    knowledge = KnowledgeService(database, root)
    await knowledge.start()
    return FeedbackService(database, ContentService(knowledge), clock=Clock(NOW))
