"""SIGTERM: in-flight interactions finish, the scheduler stops, the database closes."""

from __future__ import annotations

import asyncio
import os
import signal

from bot.app import EXTENSIONS
from bot.config import Settings
from bot.sandbox.session import running_sandbox


async def test_sigterm_finishes_commands_and_buttons_in_flight(settings: Settings) -> None:
    extensions = (*EXTENSIONS, "tests.e2e.slow_cog")
    async with running_sandbox(
        settings, guild_ready_timeout=0.05, extensions=extensions
    ) as sandbox:
        emulator, learner = sandbox.emulator, sandbox.cast.learner
        message = await emulator.run(learner, "offer")
        command = await emulator.slash(learner, "slow")
        click = await emulator.click(learner, message, "Slow")
        await command.wait_ack()
        await click.wait_ack()
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(sandbox.task, 15)
        assert (await command.wait_message(timeout=1)).content == "done"
        assert (await click.wait_message(timeout=1)).content == "clicked"
        assert sandbox.bot.is_closed() and not sandbox.bot.reminders.running
