"""*Answer with Nexus*: anyone answers a learner's message with an entry, from its Apps menu."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.sandbox.session import Sandbox
from emulator.interactions import UsageError
from emulator.world import SEND_MESSAGES, SEND_MESSAGES_IN_THREADS, Message

MENU = "Answer with Nexus"
QUESTION = "how do i stop people spamming my api"


def replies_to(sandbox: Sandbox, message: Message) -> list[Message]:
    return [
        m
        for m in sandbox.emulator.world.channel_messages(message.channel_id)
        if m.referenced is message
    ]


async def offer(sandbox: Sandbox, message: Message) -> Message:
    """Run the message command as linus; the private offer it answers with."""
    record = await sandbox.emulator.message_command(sandbox.cast.learner2, MENU, message)
    offered = await record.wait_message()
    assert record.ack_seconds is not None and record.ack_seconds < 3
    assert offered.ephemeral
    return offered


async def choose(sandbox: Sandbox, offered: Message, slug: str) -> None:
    select = offered.components[0]["components"][0]
    record = await sandbox.emulator.click(
        sandbox.cast.learner2, offered, select["custom_id"], values=[slug]
    )
    await record.wait_ack()
    await sandbox.emulator.messages.wait_for(lambda _m: offered.components == [], timeout=5)


async def test_the_chosen_entry_is_posted_as_a_reply_pinging_only_the_author(
    sandbox: Sandbox,
) -> None:
    ada, linus = sandbox.cast.learner, sandbox.cast.learner2
    asked = await sandbox.emulator.say(ada, QUESTION + " @everyone <@&1>")
    offered = await offer(sandbox, asked)
    assert "Ada" in offered.content
    options = offered.components[0]["components"][0]["options"]
    best = sandbox.bot.knowledge.search(QUESTION + " @everyone <@&1>").ranked[0]
    assert options[0]["value"] == best.slug and len(options) <= 3
    assert replies_to(sandbox, asked) == []  # nothing public before a choice

    await choose(sandbox, offered, best.slug)
    assert "Posted" in offered.content
    [reply] = replies_to(sandbox, asked)
    assert not reply.ephemeral and reply.type == 19 and reply.embeds[0]["title"] == best.title
    assert reply.mention_user_ids == [ada.id]  # the author, and only the author
    assert not reply.mention_everyone and reply.mention_role_ids == []
    assert "Linus" in reply.content
    voted = await (await sandbox.emulator.click(ada, reply, "👍 Helpful")).wait_message()
    assert voted.ephemeral and "helpful" in voted.content
    assert linus.id not in reply.mention_user_ids


async def test_nothing_found_is_told_privately_and_becomes_a_gap(sandbox: Sandbox) -> None:
    asked = await sandbox.emulator.say(sandbox.cast.learner, "banana spaceship <@1> ?")
    offered = await offer(sandbox, asked)
    assert "found nothing" in offered.content and offered.components == []
    gaps = (await sandbox.bot.feedback.gaps()).items
    assert [g.question for g in gaps] == ["banana spaceship"]  # no member id kept
    assert replies_to(sandbox, asked) == []


async def test_choosing_twice_posts_once(sandbox: Sandbox) -> None:
    asked = await sandbox.emulator.say(sandbox.cast.learner, QUESTION)
    offered = await offer(sandbox, asked)
    select = offered.components[0]["components"][0]
    slug = select["options"][0]["value"]
    clicks = await asyncio.gather(
        *(
            sandbox.emulator.click(
                sandbox.cast.learner2, offered, select["custom_id"], values=[slug]
            )
            for _ in range(2)
        )
    )
    for record in clicks:
        await record.wait_ack()
    await sandbox.emulator.messages.wait_for(lambda _m: offered.components == [], timeout=5)
    await asyncio.sleep(0.2)
    assert len(replies_to(sandbox, asked)) == 1


async def test_a_deleted_message_is_not_answered(sandbox: Sandbox) -> None:
    asked = await sandbox.emulator.say(sandbox.cast.learner, QUESTION)
    offered = await offer(sandbox, asked)
    del sandbox.emulator.world.messages[asked.id]
    await choose(sandbox, offered, offered.components[0]["components"][0]["options"][0]["value"])
    assert "gone" in offered.content
    posted = sandbox.emulator.world.channel_messages(asked.channel_id)
    assert not any(m.embeds for m in posted if not m.ephemeral)


async def test_the_bot_reads_the_text_only_from_the_interaction(sandbox: Sandbox) -> None:
    """No privileged intent: the message event comes without its text; the command has it."""
    asked = await sandbox.emulator.say(sandbox.cast.learner, QUESTION)
    for _ in range(50):
        cached = sandbox.bot._connection._get_message(asked.id)
        if cached is not None:
            break
        await asyncio.sleep(0.02)
    assert cached is not None and cached.content == ""
    offered = await offer(sandbox, asked)
    assert offered.components  # it found entries for the text


async def test_the_apps_menu_is_not_on_private_replies(sandbox: Sandbox) -> None:
    private = await sandbox.emulator.run(sandbox.cast.learner, "learn", query="docker")
    with pytest.raises(UsageError, match="ephemeral"):
        await sandbox.emulator.message_command(sandbox.cast.learner, MENU, private)
    with pytest.raises(UsageError, match="no message command"):
        await sandbox.emulator.message_command(sandbox.cast.learner, "Nope", private)


async def test_a_second_choice_does_not_answer_again(sandbox: Sandbox) -> None:
    """Two different choices in one offer (before it is replaced): one answers."""
    asked = await sandbox.emulator.say(sandbox.cast.learner, QUESTION)
    offered = await offer(sandbox, asked)
    select = offered.components[0]["components"][0]
    first, second = (option["value"] for option in select["options"][:2])
    clicks = [
        await sandbox.emulator.click(
            sandbox.cast.learner2, offered, select["custom_id"], values=[slug]
        )
        for slug in (first, second)
    ]
    for record in clicks:
        await record.wait_ack()
    await sandbox.emulator.messages.wait_for(lambda _m: offered.components == [], timeout=5)
    await asyncio.sleep(0.3)
    [reply] = replies_to(sandbox, asked)  # one of them, whichever was taken first
    titles = {sandbox.bot.knowledge.get(slug).title for slug in (first, second)}  # type: ignore[union-attr]
    assert reply.embeds[0]["title"] in titles


async def test_a_refused_reply_reports_an_error_and_can_be_tried_again(
    sandbox: Sandbox,
) -> None:
    """Discord refuses the reply for another reason than a deleted message: the invoker gets
    an error id, not "gone", and the offer can be used again."""
    asked = await sandbox.emulator.say(sandbox.cast.learner, QUESTION)
    offered = await offer(sandbox, asked)
    select = offered.components[0]["components"][0]
    slug = select["options"][0]["value"]
    sandbox.emulator.faults.add("POST", rf"/channels/{asked.channel_id}/messages$", 403)
    failed = await sandbox.emulator.click(
        sandbox.cast.learner2, offered, select["custom_id"], values=[slug]
    )
    error = await failed.wait_message()
    assert "error id" in error.content and "gone" not in offered.content
    assert replies_to(sandbox, asked) == []
    await choose(sandbox, offered, slug)
    assert "Posted" in offered.content and len(replies_to(sandbox, asked)) == 1


def may_not_post(sandbox: Sandbox) -> None:
    """Learners lose Send Messages (a read-only channel, a mute); app commands still work."""
    world = sandbox.emulator.world
    world.roles[world.guild_id].permissions &= ~(SEND_MESSAGES | SEND_MESSAGES_IN_THREADS)


async def test_a_member_who_may_not_post_here_cannot_post_through_the_bot(
    sandbox: Sandbox,
) -> None:
    asked = await sandbox.emulator.say(sandbox.cast.learner, QUESTION)
    may_not_post(sandbox)
    offered = await offer(sandbox, asked)
    assert "cannot post in this channel" in offered.content and offered.components == []
    assert replies_to(sandbox, asked) == []


async def test_a_member_muted_after_the_offer_cannot_choose(sandbox: Sandbox) -> None:
    asked = await sandbox.emulator.say(sandbox.cast.learner, QUESTION)
    offered = await offer(sandbox, asked)
    may_not_post(sandbox)
    await choose(sandbox, offered, offered.components[0]["components"][0]["options"][0]["value"])
    assert "cannot post in this channel" in offered.content
    assert replies_to(sandbox, asked) == []


async def test_a_timed_out_member_cannot_post_through_the_bot(sandbox: Sandbox) -> None:
    asked = await sandbox.emulator.say(sandbox.cast.learner, QUESTION)
    member = sandbox.emulator.world.members[sandbox.cast.learner2.id]
    member.timed_out_until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    offered = await offer(sandbox, asked)
    assert "cannot post in this channel" in offered.content and offered.components == []
