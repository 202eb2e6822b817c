"""`/content gaps`: moderators work through the questions /learn did not answer well."""

from __future__ import annotations

import asyncio
import importlib
from datetime import timedelta

import pytest

from bot.feedback.service import PAGE_SIZE, PICK_WINDOW, REAPPEAR_AFTER
from bot.sandbox.session import Sandbox
from emulator.interactions import UsageError
from emulator.server import find_component
from emulator.world import Message
from tests.helpers import step

QUESTION = "my laptop fan is loud"
"""A question /learn answers with nothing (asserted where used)."""
UNSURE = "my server"
"""A question /learn offers closest matches for (asserted where used)."""


async def ask(sandbox: Sandbox, question: str, times: int = 1) -> None:
    """Ask as a learner; the answers are written (in batches, half a second apart) before a
    moderator looks, as they would be by the time a person opens the inbox."""
    for _ in range(times):
        await sandbox.emulator.run(sandbox.cast.learner, "learn", query=question)
    await sandbox.bot.feedback.written()


async def ask_and_open_nothing(sandbox: Sandbox, question: str) -> None:
    """Ask, get closest matches, open none: a gap once the pick window has passed."""
    result = sandbox.bot.knowledge.search(question)
    assert not result.hits and result.suggestions
    await ask(sandbox, question)
    await step([sandbox.bot], PICK_WINDOW + timedelta(minutes=5))


async def open_inbox(sandbox: Sandbox, **options: int) -> Message:
    message = await sandbox.emulator.run(sandbox.cast.moderator, "content gaps", **options)
    assert message.ephemeral and message.embeds
    return message


async def test_the_inbox_lists_questions_most_asked_first(sandbox: Sandbox) -> None:
    assert not sandbox.bot.knowledge.search(QUESTION).ranked  # nothing found
    await ask(sandbox, "how do i center a div")
    await ask(sandbox, QUESTION + "?", times=2)
    inbox = await open_inbox(sandbox)
    text = inbox.embeds[0]["description"]
    assert text.index(QUESTION) < text.index("how do i center a div")
    assert "asked 2×" in text and "asked 1×" in text
    for label in ("1 · Add to entry…", "1 · New entry", "1 · Dismiss", "2 · Dismiss"):
        assert find_component(inbox, label) is not None


async def test_add_to_entry_makes_the_question_find_it_at_once(sandbox: Sandbox) -> None:
    grace, emulator = sandbox.cast.moderator, sandbox.emulator
    await ask_and_open_nothing(sandbox, UNSURE)
    best = sandbox.bot.knowledge.search(UNSURE).suggestions[0]
    inbox = await open_inbox(sandbox)
    assert f"closest: {best.title}" in inbox.embeds[0]["description"]
    offer = await (await emulator.click(grace, inbox, "1 · Add to entry…")).wait_message()
    select = offer.components[0]["components"][0]
    assert select["custom_id"].startswith("gaps:pick:")
    assert select["options"][0]["value"] == best.slug  # the best suggestion first
    saved = await (
        await emulator.click(grace, offer, select["custom_id"], values=[best.slug])
    ).wait_message()
    assert saved.ephemeral and "version 2" in saved.content
    assert UNSURE in sandbox.bot.knowledge.get(best.slug).questions  # type: ignore[union-attr]
    answer = await emulator.run(sandbox.cast.learner, "learn", query=UNSURE)
    assert answer.embeds[0]["title"] == best.title  # live at once: now a confident answer
    assert "Nothing in the inbox" in (await open_inbox(sandbox)).embeds[0]["description"]
    history = await emulator.run(grace, "content history", entry=best.slug)
    assert "questions" in history.embeds[0]["description"]


async def test_a_question_nothing_comes_close_to_points_to_add_question(
    sandbox: Sandbox,
) -> None:
    await ask(sandbox, QUESTION)
    inbox = await open_inbox(sandbox)
    offer = await (
        await sandbox.emulator.click(sandbox.cast.moderator, inbox, "1 · Add to entry…")
    ).wait_message()
    assert "/content add-question" in offer.content and offer.components == []


async def test_new_entry_starts_from_the_question_and_takes_it_out(sandbox: Sandbox) -> None:
    grace, emulator = sandbox.cast.moderator, sandbox.emulator
    await ask(sandbox, "what is a monad")
    inbox = await open_inbox(sandbox)
    opened = await emulator.click(grace, inbox, "1 · New entry")
    await opened.wait_ack()
    assert opened.modal is not None
    fields = {
        c["custom_id"]: c.get("value")
        for row in opened.modal["components"]
        for c in row["components"]
    }
    assert fields["title"] == "What is a monad"
    saved = await (
        await emulator.submit_modal(
            grace,
            opened,
            {
                "title": "Monads",
                "category": "concept",
                "summary": "A monad chains computations.",
                "body": "Not in the program; see a functional programming course.",
            },
        )
    ).wait_message()
    assert "version 2" in saved.content
    entry = sandbox.bot.knowledge.get("monads")
    assert entry is not None and entry.questions == ("what is a monad",)
    assert (await sandbox.bot.feedback.gaps()).items == ()


async def test_dismiss_hides_a_question_until_it_comes_back(sandbox: Sandbox) -> None:
    grace, emulator = sandbox.cast.moderator, sandbox.emulator
    await ask(sandbox, "how do i center a div")
    inbox = await open_inbox(sandbox)
    await (await emulator.click(grace, inbox, "1 · Dismiss")).wait_ack()  # edited in place
    await emulator.messages.wait_for(lambda _: bool(inbox.content), timeout=5)
    assert f"asked {REAPPEAR_AFTER} more times" in inbox.content
    assert "Nothing in the inbox" in inbox.embeds[0]["description"]
    await ask(sandbox, "how do i center a div", times=REAPPEAR_AFTER)
    assert "center a div" in (await open_inbox(sandbox)).embeds[0]["description"]


async def test_the_inbox_pages_and_keeps_to_the_days_asked(sandbox: Sandbox) -> None:
    grace, emulator = sandbox.cast.moderator, sandbox.emulator
    for n in range(PAGE_SIZE + 1):
        await ask(sandbox, f"zorblat question number {n}")
    inbox = await open_inbox(sandbox, days=7)
    assert "Page 1 of 2" in inbox.embeds[0]["footer"]["text"]
    await (await emulator.click(grace, inbox, "Next ▶")).wait_ack()  # edited in place
    await emulator.messages.wait_for(lambda _: "Page 2" in inbox.embeds[0]["footer"]["text"], 5)
    assert find_component(inbox, f"{PAGE_SIZE + 1} · Dismiss") is not None
    await step([sandbox.bot], timedelta(days=8))
    assert (await open_inbox(sandbox, days=7)).embeds[0]["title"].endswith(": 0")


async def test_add_question_takes_any_entry_and_offers_the_inbox(sandbox: Sandbox) -> None:
    grace, emulator = sandbox.cast.moderator, sandbox.emulator
    await ask(sandbox, QUESTION)
    offered = await emulator.autocomplete(
        grace, "content add-question", "question", question="LAPTOP fan", entry="docker"
    )
    assert [choice["value"] for choice in offered] == [QUESTION]
    saved = await emulator.run(grace, "content add-question", entry="celery", question=QUESTION)
    assert "Celery" in saved.content
    assert (await sandbox.bot.feedback.gaps()).items == ()
    again = await emulator.run(grace, "content add-question", entry="celery", question=QUESTION)
    assert "already has" in again.content
    for n in range(16 - len(sandbox.bot.knowledge.get("celery").questions)):  # type: ignore[union-attr]
        await emulator.run(grace, "content add-question", entry="celery", question=f"q {n}")
    full = await emulator.run(
        grace, "content add-question", entry="celery", question="one more **q**"
    )
    assert "max 16" in full.content and "one more \\*\\*q\\*\\*" in full.content


async def test_learners_are_refused_every_inbox_action(sandbox: Sandbox) -> None:
    emulator, ada, grace = sandbox.emulator, sandbox.cast.learner, sandbox.cast.moderator
    for command in ("content gaps", "content add-question"):
        with pytest.raises(UsageError, match="hidden"):
            await emulator.slash(ada, command)
    refused = await (
        await emulator.slash(ada, "content gaps", bypass_permissions=True)
    ).wait_message()
    assert "Only moderators" in refused.content
    await ask_and_open_nothing(sandbox, UNSURE)
    for n in range(PAGE_SIZE):
        await ask(sandbox, f"zorblat question number {n}")
    inbox = await open_inbox(sandbox)
    for label in ("1 · Add to entry…", "1 · New entry", "1 · Dismiss", "Next ▶"):
        click = await (await emulator.click(ada, inbox, label)).wait_message()
        assert click.ephemeral and "Only moderators" in click.content, label
    offer = await (await emulator.click(grace, inbox, "1 · Add to entry…")).wait_message()
    select = offer.components[0]["components"][0]
    sneaky = await (
        await emulator.click(
            ada, offer, select["custom_id"], values=[select["options"][0]["value"]]
        )
    ).wait_message()
    assert "Only moderators" in sneaky.content
    assert (await sandbox.bot.feedback.gaps()).total == PAGE_SIZE + 1  # nothing changed


async def test_learners_get_no_inbox_or_removed_entries_from_autocomplete(
    sandbox: Sandbox,
) -> None:
    """Discord runs no permission check before autocomplete: the bot refuses it itself."""
    ada, grace, emulator = sandbox.cast.learner, sandbox.cast.moderator, sandbox.emulator
    await ask(sandbox, QUESTION)
    for who, expected in ((ada, []), (grace, [QUESTION])):
        offered = await emulator.autocomplete(
            who, "content add-question", "question", question="laptop", entry="docker"
        )
        assert [c["value"] for c in offered] == expected
    assert await emulator.autocomplete(ada, "content history", "entry", entry="dock") == []
    assert await emulator.autocomplete(grace, "content history", "entry", entry="dock")


async def test_a_new_entry_keeps_a_question_too_long_to_join_it_in_the_inbox(
    sandbox: Sandbox,
) -> None:
    grace, emulator = sandbox.cast.moderator, sandbox.emulator
    long_question = "zorblat " + "why does it " * 12 + "break"
    await ask(sandbox, long_question)
    opened = await emulator.click(grace, await open_inbox(sandbox), "1 · New entry")
    await opened.wait_ack()
    saved = await (
        await emulator.submit_modal(
            grace,
            opened,
            {"title": "Zorblat", "category": "concept", "summary": "S.", "body": "B."},
        )
    ).wait_message()
    assert "version 1" in saved.content and "stays in the inbox" in saved.content
    assert [g.question for g in (await sandbox.bot.feedback.gaps()).items] == [long_question]


async def test_a_form_the_database_is_too_slow_to_fill_says_try_again_in_time(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form must be the first answer to its click, within Discord's 3 seconds: when what it
    is prefilled with does not come in time, the moderator is told so, privately, in time."""
    grace, emulator = sandbox.cast.moderator, sandbox.emulator
    await ask(sandbox, "what is a monad")
    inbox = await open_inbox(sandbox)
    forms = importlib.import_module("cogs.content._forms")  # as loaded by the bot's extension
    monkeypatch.setattr(forms, "FORM_READ_SECONDS", 0.2)

    async def stuck(*args: object) -> None:
        await asyncio.sleep(30)

    monkeypatch.setattr(sandbox.bot.feedback, "gap", stuck)
    monkeypatch.setattr(sandbox.bot.content, "current", stuck)
    clicked = await emulator.click(grace, inbox, "1 · New entry")
    edited = await emulator.slash(grace, "content edit", entry="docker")
    for interaction in (clicked, edited):
        told = await interaction.wait_message()  # acknowledged within 3 s, or it raises
        assert interaction.modal is None and told.ephemeral
        assert "database is slow" in told.content and "Try again" in told.content
