"""Moderators edit the knowledge base from Discord; the change is live at once."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.sandbox.cast import build_cast
from bot.sandbox.session import Sandbox, running_sandbox
from emulator.interactions import InteractionRecord, UsageError
from emulator.server import find_component

NEW = {
    "title": "Flask blueprints",
    "category": "tool",
    "aliases": "blueprint, flask bp",
    "summary": "Blueprints split a Flask app into modules.",
    "body": "Register each blueprint on the app; keep routes per feature.",
}


async def open_modal(
    sandbox: Sandbox,
    user,
    command: str,
    **values: str,  # type: ignore[no-untyped-def]
) -> InteractionRecord:
    record = await sandbox.emulator.slash(user, command, **values)
    await record.wait_ack()
    assert record.modal is not None, record.reply
    return record


async def add_entry(sandbox: Sandbox, **overrides: str):  # type: ignore[no-untyped-def]
    opened = await open_modal(sandbox, sandbox.cast.moderator, "content add")
    submitted = await sandbox.emulator.submit_modal(
        sandbox.cast.moderator, opened, {**NEW, **overrides}
    )
    return await submitted.wait_message()


async def test_non_moderators_are_refused_everywhere(sandbox: Sandbox) -> None:
    emulator, learner, moderator = sandbox.emulator, sandbox.cast.learner, sandbox.cast.moderator
    with pytest.raises(UsageError, match="hidden"):
        await emulator.slash(learner, "content add")
    refused = await (
        await emulator.slash(learner, "content add", bypass_permissions=True)
    ).wait_message()
    assert refused.ephemeral and "Only moderators" in refused.content
    # A modal that reached a learner anyway is refused on submit, and nothing changes.
    opened = await open_modal(sandbox, moderator, "content add")
    sneaky = await (await emulator.submit_modal(learner, opened, NEW)).wait_message()
    assert "Only moderators" in sneaky.content
    assert sandbox.bot.knowledge.get("flask-blueprints") is None
    # So is a confirm button.
    prompt = await emulator.run(moderator, "content remove", entry="docker")
    click = await (await emulator.click(learner, prompt, "Remove it")).wait_message()
    assert "Only moderators" in click.content and sandbox.bot.knowledge.get("docker")
    # And the search terms form.
    with pytest.raises(UsageError, match="hidden"):
        await emulator.slash(learner, "content search-terms", entry="docker")
    terms = await open_modal(sandbox, moderator, "content search-terms", entry="docker")
    sneaky = await (
        await emulator.submit_modal(learner, terms, {"questions": "hijacked"})
    ).wait_message()
    assert "Only moderators" in sneaky.content
    assert "hijacked" not in sandbox.bot.knowledge.get("docker").questions  # type: ignore[union-attr]


async def test_add_then_learn_and_autocomplete_find_it(sandbox: Sandbox) -> None:
    saved = await add_entry(sandbox)
    assert "version 1" in saved.content and saved.embeds[0]["title"] == "Flask blueprints"
    found = await sandbox.emulator.run(sandbox.cast.learner, "learn", query="flask blueprint")
    assert found.embeds[0]["title"] == sandbox.bot.knowledge.get("flask-blueprints").title
    choices = await sandbox.emulator.autocomplete(
        sandbox.cast.learner, "learn", "query", query="blueprin"
    )
    assert "flask-blueprints" in [c["value"] for c in choices]
    log = [m.content for m in sandbox.emulator.world.channel_messages(sandbox.cast.modlog.id)]
    assert any("added **Flask blueprints**" in line for line in log)


async def test_invalid_entry_gets_a_clear_ephemeral_error(sandbox: Sandbox) -> None:
    reply = await add_entry(sandbox, category="gadget")
    assert reply.ephemeral and "unknown category" in reply.content
    assert NEW["body"] in reply.files["your-entry.md"].decode()  # nothing typed is lost
    reply = await add_entry(sandbox, title="Docker")
    assert "already exists" in reply.content
    assert sandbox.bot.knowledge.get("flask-blueprints") is None


async def test_edit_is_prefilled_and_history_shows_two_versions(sandbox: Sandbox) -> None:
    await add_entry(sandbox)
    opened = await open_modal(
        sandbox, sandbox.cast.moderator, "content edit", entry="flask-blueprints"
    )
    fields = [row["components"][0] for row in opened.modal["components"]]  # type: ignore[index]
    assert {f["custom_id"]: f.get("value") for f in fields}["title"] == "Flask blueprints"
    saved = await (
        await sandbox.emulator.submit_modal(
            sandbox.cast.moderator, opened, {"summary": "Blueprints organise a Flask app."}
        )
    ).wait_message()
    assert "version 2" in saved.content
    history = await sandbox.emulator.run(
        sandbox.cast.moderator, "content history", entry="flask-blueprints"
    )
    text = history.embeds[0]["description"]
    assert "**v2**" in text and "summary" in text and "**v1**" in text and "created" in text
    answer = await sandbox.emulator.run(sandbox.cast.learner, "learn", query="flask-blueprints")
    assert "organise" in answer.embeds[0]["description"]


async def test_concurrent_edit_tells_the_second_editor_and_loses_nothing(sandbox: Sandbox) -> None:
    emulator, grace, olivia = sandbox.emulator, sandbox.cast.moderator, sandbox.cast.admin
    first = await open_modal(sandbox, grace, "content edit", entry="docker")
    second = await open_modal(sandbox, olivia, "content edit", entry="docker")
    await (
        await emulator.submit_modal(grace, first, {"summary": "Grace's summary."})
    ).wait_message()
    conflict = await (
        await emulator.submit_modal(olivia, second, {"summary": "Olivia's summary."})
    ).wait_message()
    assert "changed by someone else" in conflict.content
    newer, theirs = conflict.embeds
    assert "Grace's summary." in newer["description"]
    assert "Olivia's summary." in theirs["description"]
    assert "Olivia's summary." in conflict.files["docker-your-text.md"].decode()
    assert sandbox.bot.knowledge.get("docker").summary == "Grace's summary."  # type: ignore[union-attr]
    again = await emulator.click(olivia, conflict, "Edit the newer version")
    await again.wait_ack()
    assert again.modal is not None and again.modal["custom_id"].startswith("content:edit:docker:2:")


async def test_concurrent_edit_of_long_texts_still_returns_every_character(
    sandbox: Sandbox,
) -> None:
    """Two full-size bodies do not fit in one reply's embeds (6,000 characters): the second
    editor's text comes back whole as a file."""
    emulator, grace, olivia = sandbox.emulator, sandbox.cast.moderator, sandbox.cast.admin
    first = await open_modal(sandbox, grace, "content edit", entry="docker")
    second = await open_modal(sandbox, olivia, "content edit", entry="docker")
    summary = "S" * 300
    body = ("Olivia's long body. " * 200)[:3500]
    await (
        await emulator.submit_modal(grace, first, {"summary": summary, "body": "G" * 3500})
    ).wait_message()
    conflict = await (
        await emulator.submit_modal(olivia, second, {"summary": summary, "body": body})
    ).wait_message()
    assert "changed by someone else" in conflict.content
    assert body in conflict.files["docker-your-text.md"].decode()


async def test_remove_then_gone_from_learn_and_autocomplete_then_revert(sandbox: Sandbox) -> None:
    emulator, moderator, learner = sandbox.emulator, sandbox.cast.moderator, sandbox.cast.learner
    prompt = await emulator.run(moderator, "content remove", entry="celery-beat")
    assert find_component(prompt, "Remove it") is not None
    assert sandbox.bot.knowledge.get("celery-beat") is not None  # not before confirming
    record = await emulator.click(moderator, prompt, "Remove it")
    await record.wait_ack()
    await emulator.messages.wait_for(lambda _m: "Removed" in prompt.content, timeout=5)
    answer = await emulator.run(learner, "learn", query="celery beat")
    assert not answer.embeds or answer.embeds[0]["title"] != "Celery Beat"
    choices = await emulator.autocomplete(learner, "learn", "query", query="celery be")
    assert "celery-beat" not in [c["value"] for c in choices]
    back = await emulator.run(moderator, "content revert", entry="celery-beat", version="1")
    assert "Restored version 1" in back.content
    answer = await emulator.run(learner, "learn", query="celery beat")
    assert answer.embeds[0]["title"] == "Celery Beat"


async def test_mentions_in_content_never_ping(sandbox: Sandbox) -> None:
    await add_entry(
        sandbox,
        summary="Ping @everyone and @here now",
        body=f"Role <@&{sandbox.cast.moderator_role.id}> too",
    )
    answer = await sandbox.emulator.run(
        sandbox.cast.learner, "learn", query="flask blueprints", public=True
    )
    assert "@everyone" in answer.embeds[0]["description"]
    assert not answer.mention_everyone and answer.mention_role_ids == []


async def test_reload_summarizes(sandbox: Sandbox) -> None:
    record = await sandbox.emulator.slash(sandbox.cast.moderator, "content reload")
    message = await record.wait_message()
    assert "Reloaded:" in message.content and "0 added" in message.content


async def test_search_terms_are_prefilled_saved_and_searched_at_once(sandbox: Sandbox) -> None:
    grace = sandbox.cast.moderator
    docker = sandbox.bot.knowledge.get("docker")
    assert docker is not None and docker.questions
    opened = await open_modal(sandbox, grace, "content search-terms", entry="docker")
    fields = {
        row["components"][0]["custom_id"]: row["components"][0].get("value")
        for row in opened.modal["components"]  # type: ignore[index]
    }
    assert fields["questions"] == "\n".join(docker.questions)
    question = "my laptop and the grading server disagree about which library versions exist"
    saved = await (
        await sandbox.emulator.submit_modal(
            grace, opened, {"questions": question, "misspellings": "dokker, doker"}
        )
    ).wait_message()
    assert "version 2" in saved.content
    entry = sandbox.bot.knowledge.get("docker")
    assert entry is not None and entry.questions == (question,)
    assert entry.misspellings == ("dokker", "doker")
    assert sandbox.bot.knowledge.search(question).hits[0].slug == "docker"
    history = await sandbox.emulator.run(grace, "content history", entry="docker")
    assert "questions" in history.embeds[0]["description"]


async def test_invalid_search_terms_are_refused_with_the_reason(sandbox: Sandbox) -> None:
    grace = sandbox.cast.moderator
    opened = await open_modal(sandbox, grace, "content search-terms", entry="docker")
    too_many = "\n".join(f"question number {n} about containers" for n in range(17))
    refused = await (
        await sandbox.emulator.submit_modal(grace, opened, {"questions": too_many})
    ).wait_message()
    assert "Not saved" in refused.content and "max 16" in refused.content
    assert "question number 16" in refused.files["docker-your-search-terms.md"].decode()
    assert len(sandbox.bot.knowledge.get("docker").questions) <= 16  # type: ignore[union-attr]


async def test_a_form_opened_before_a_restart_is_saved_after_it(settings: Settings) -> None:
    """Forms are handled by custom_id: the process that opened one may be gone."""
    cast = build_cast()
    async with running_sandbox(settings, cast, guild_ready_timeout=0.05) as sandbox:
        opened = await open_modal(sandbox, cast.moderator, "content edit", entry="docker")
    async with running_sandbox(settings, cast, guild_ready_timeout=0.05) as sandbox:
        saved = await (
            await sandbox.emulator.submit_modal(
                cast.moderator, opened, {"summary": "Saved by the next process."}
            )
        ).wait_message()
        assert "version 2" in saved.content
        docker = sandbox.bot.knowledge.get("docker")
        assert docker is not None and docker.summary == "Saved by the next process."


async def test_every_opened_form_has_its_own_id(sandbox: Sandbox) -> None:
    grace, olivia = sandbox.cast.moderator, sandbox.cast.admin
    first = await open_modal(sandbox, grace, "content add")
    second = await open_modal(sandbox, olivia, "content add")
    assert first.modal is not None and second.modal is not None
    assert first.modal["custom_id"] != second.modal["custom_id"]
