"""/learn, autocomplete, buttons and /topics through the emulator."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.moderation.content import Actor
from bot.sandbox.session import Sandbox
from emulator.server import find_component

ONE_CONFIDENT_ANSWER = "jwt token expiry"
"""A query with exactly one confident match and several close ones (asserted where used)."""


def title_of(message) -> str:  # type: ignore[no-untyped-def]
    return message.embeds[0]["title"] if message.embeds else ""


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("docker", "docker"),
        ("kubernates", "kubernetes"),
        ("k8s", "kubernetes"),
        ("how do I fix n+1 queries", "n-plus-one-queries"),
        ("celery beat", "celery-beat"),
    ],
)
async def test_learn_finds_the_entry(sandbox: Sandbox, query: str, slug: str) -> None:
    record = await sandbox.emulator.slash(sandbox.cast.learner, "learn", query=query)
    message = await record.wait_message()
    assert record.ack_seconds is not None and record.ack_seconds < 3
    assert message.ephemeral
    assert message.embeds[0]["title"] == sandbox.bot.knowledge.get(slug).title


async def test_learn_public_posts_for_everyone(sandbox: Sandbox) -> None:
    message = await sandbox.emulator.run(sandbox.cast.learner, "learn", query="docker", public=True)
    assert not message.ephemeral and title_of(message)


async def test_nonsense_finds_nothing_and_says_so(sandbox: Sandbox) -> None:
    message = await sandbox.emulator.run(sandbox.cast.learner, "learn", query="banana spaceship")
    assert message.ephemeral and not message.embeds
    assert "nothing" in message.content and "banana spaceship" in message.content


@pytest.mark.parametrize(
    "query",
    [
        " ",
        "x" * 6000,
        "🚀🔥💯",
        "מה זה דוקר",
        "do\u200bcker\u200d",
        "**bold** `code` ||spoiler||",
        "<@123> <@&456> @everyone @here",
        "'; DROP TABLE entry; --",
        "\x00\x07 control",
    ],
)
async def test_hostile_queries_get_a_sensible_private_answer(sandbox: Sandbox, query: str) -> None:
    record = await sandbox.emulator.slash(sandbox.cast.learner, "learn", query=query)
    message = await record.wait_message()
    assert record.rejected == []
    assert message.ephemeral and "error id" not in message.content
    assert not message.mention_everyone and message.mention_role_ids == []
    assert message.mention_user_ids == []


async def test_echoed_text_is_escaped(sandbox: Sandbox) -> None:
    message = await sandbox.emulator.run(
        sandbox.cast.learner, "learn", query="**zzqx** @everyone plorkish"
    )
    assert "\\*\\*zzqx\\*\\*" in message.content
    assert "@\u200beveryone" in message.content


async def test_read_more_shows_the_whole_entry(sandbox: Sandbox) -> None:
    emulator, learner = sandbox.emulator, sandbox.cast.learner
    entry = max(sandbox.bot.knowledge.browse(), key=lambda e: len(e.body))
    message = await emulator.run(learner, "learn", query=entry.slug)
    assert find_component(message, "Read more") is not None
    full = await (await emulator.click(learner, message, "Read more")).wait_message()
    assert len(full.embeds[0]["description"]) > len(message.embeds[0]["description"])
    assert find_component(full, "Read more") is None


async def test_related_buttons_open_related_entries(sandbox: Sandbox) -> None:
    emulator, learner = sandbox.emulator, sandbox.cast.learner
    docker = sandbox.bot.knowledge.get("docker")
    assert docker is not None
    message = await emulator.run(learner, "learn", query="docker")
    related = next(s for s in docker.related if sandbox.bot.knowledge.get(s))
    opened = await (await emulator.click(learner, message, f"learn:open:{related}")).wait_message()
    assert opened.embeds[0]["title"] == sandbox.bot.knowledge.get(related).title


async def test_buttons_of_a_removed_entry_answer_politely(sandbox: Sandbox) -> None:
    emulator, learner = sandbox.emulator, sandbox.cast.learner
    message = await emulator.run(learner, "learn", query="docker")
    button = next(
        c["custom_id"]
        for row in message.components
        for c in row["components"]
        if c["custom_id"].startswith("learn:open:")
    )
    await sandbox.bot.content.remove(button.removeprefix("learn:open:"), Actor(None, "test"))
    reply = await (await emulator.click(learner, message, button)).wait_message()
    assert "no longer exists" in reply.content


async def test_unsure_answers_offer_three_closest_matches_as_buttons(sandbox: Sandbox) -> None:
    query = "my server"
    result = sandbox.bot.knowledge.search(query)
    assert not result.hits and len(result.suggestions) >= 3
    message = await sandbox.emulator.run(sandbox.cast.learner, "learn", query=query)
    assert message.content.startswith("Closest matches for") and "•" not in message.content
    buttons = [c for row in message.components for c in row["components"]]
    assert [b["label"] for b in buttons] == [hit.title for hit in result.suggestions[:3]]
    assert all(b["custom_id"].startswith("learn:pick:") for b in buttons)


async def test_answer_offers_the_next_matches(sandbox: Sandbox) -> None:
    query = "how do i write tests for my django app"
    result = sandbox.bot.knowledge.search(query)
    assert result.hits and len(result.ranked) >= 3
    message = await sandbox.emulator.run(sandbox.cast.learner, "learn", query=query)
    assert message.embeds[0]["title"] == result.hits[0].title
    buttons = {c["custom_id"]: c["label"] for row in message.components for c in row["components"]}
    for hit in result.ranked[1:3]:
        assert buttons[f"learn:open:{hit.slug}"] == f"Or: {hit.title}"[:80]
    opened = await (
        await sandbox.emulator.click(sandbox.cast.learner, message, f"learn:open:{hit.slug}")
    ).wait_message()
    assert opened.embeds[0]["title"] == hit.title


async def test_answer_offers_close_matches_that_are_not_confident(sandbox: Sandbox) -> None:
    """One confident answer: the next two "Or: …" buttons are the closest other matches."""
    query = ONE_CONFIDENT_ANSWER
    result = sandbox.bot.knowledge.search(query)
    assert len(result.hits) == 1 and len(result.suggestions) >= 2
    message = await sandbox.emulator.run(sandbox.cast.learner, "learn", query=query)
    assert message.embeds[0]["title"] == result.hits[0].title
    labels = [c["label"] for row in message.components for c in row["components"]]
    expected = [f"Or: {hit.title}"[:80] for hit in result.suggestions[:2]]
    assert [label for label in labels if label.startswith("Or: ")] == expected


async def test_answer_reads_well_on_a_phone(sandbox: Sandbox) -> None:
    entry = sandbox.bot.knowledge.get("sql-injection")
    assert entry is not None and entry.misspellings
    message = await sandbox.emulator.run(sandbox.cast.learner, "learn", query="sqli")
    embed = message.embeds[0]
    assert embed["description"].startswith(entry.summary + "\n")  # plain, not bold
    assert embed["description"].count("```") % 2 == 0  # never cut inside a code block
    assert len(embed["description"]) <= len(entry.summary) + 1000
    assert embed["footer"]["text"] == "Concept"  # no slug
    shown = embed["fields"][0]["value"]
    assert "sqli" in shown and not any(m in shown for m in entry.misspellings)


async def test_autocomplete_understands_questions(sandbox: Sandbox) -> None:
    choices = await sandbox.emulator.autocomplete(
        sandbox.cast.learner, "learn", "query", query="people keep spamming my api"
    )
    assert choices[0]["value"] == "rate-limiting"


async def test_autocomplete_offers_matching_entries(sandbox: Sandbox) -> None:
    emulator, learner = sandbox.emulator, sandbox.cast.learner
    choices = await emulator.autocomplete(learner, "learn", "query", query="kub")
    assert "kubernetes" in [c["value"] for c in choices]
    assert 0 < len(await emulator.autocomplete(learner, "learn", "query", query="")) <= 25
    assert await emulator.autocomplete(learner, "learn", "query", query="x" * 6000) is not None


async def test_topics_pages_and_opens_entries(sandbox: Sandbox) -> None:
    emulator, learner = sandbox.emulator, sandbox.cast.learner
    first = await emulator.run(learner, "topics")
    assert "Page 1 of" in first.embeds[0]["footer"]["text"]
    assert find_component(first, "◀ Previous")["disabled"]  # type: ignore[index]
    first_text = first.embeds[0]["description"]
    record = await emulator.click(learner, first, "Next ▶")
    await record.wait_ack()
    assert record.response_type == 7  # the listing is edited in place
    assert "Page 2 of" in first.embeds[0]["footer"]["text"]
    assert first.embeds[0]["description"] != first_text
    select = find_component(first, "topics:open:all:2")
    assert select is not None
    slug = select["options"][0]["value"]
    opened = await (
        await emulator.click(learner, first, select["custom_id"], values=[slug])
    ).wait_message()
    assert opened.embeds[0]["title"] == sandbox.bot.knowledge.get(slug).title


async def test_topics_filters_by_category(sandbox: Sandbox) -> None:
    message = await sandbox.emulator.run(sandbox.cast.learner, "topics", category="challenge")
    assert message.embeds[0]["title"].startswith("Challenge")
    count = len(sandbox.bot.knowledge.browse("challenge"))
    assert f"({count})" in message.embeds[0]["title"]


async def test_lookups_have_a_friendly_per_member_cooldown(sandbox: Sandbox) -> None:
    emulator, learner = sandbox.emulator, sandbox.cast.learner
    for _ in range(10):
        assert (await emulator.run(learner, "learn", query="docker")).embeds
    refused = await emulator.run(learner, "learn", query="docker")
    assert refused.ephemeral and "Slow down" in refused.content
    other = await emulator.run(sandbox.cast.learner2, "learn", query="docker")
    assert other.embeds  # the limit is per member


async def test_learn_with_the_semantic_signal_answers_a_question_in_other_words(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NEXUS_SEMANTIC_MODEL on (a model the test builds): /learn fuses it into its answers."""
    from bot.sandbox.session import running_sandbox
    from tests.knowledge.test_semantic import ConceptModel

    question = "bots keep hammering and flooding my endpoint"
    monkeypatch.setattr("bot.knowledge.service.load_embedder", lambda name: ConceptModel())
    semantic = settings.model_copy(update={"semantic_model": "concepts"})
    async with running_sandbox(semantic, guild_ready_timeout=0.05) as sandbox:
        assert await sandbox.bot.knowledge.semantic_ready()
        message = await sandbox.emulator.run(sandbox.cast.learner, "learn", query=question)
        labels = [c.get("label", "") for row in message.components for c in row["components"]]
        others = [label.removeprefix("Or: ") for label in labels if label.startswith("Or: ")]
        shown = [title_of(message), *others]  # the answer and its "Or: ..." alternatives
        assert sandbox.bot.knowledge.get("rate-limiting").title in shown
        nothing = await sandbox.emulator.run(
            sandbox.cast.learner, "learn", query="banana spaceship"
        )
        assert not nothing.embeds and "nothing" in nothing.content
