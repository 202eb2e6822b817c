"""Tests for emulator.validation: each Discord rule with a valid and an invalid case."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from typing import Any, Literal

import discord
import pytest
from discord import app_commands
from discord.http import handle_message_parameters
from discord.webhook.async_ import interaction_message_response_params

from emulator.validation import (
    validate_command_sync,
    validate_interaction_response,
    validate_message,
)

Json = dict[str, Any]


def assert_rejected(errors: list[str], *fragments: str) -> None:
    """At least one error, and each fragment appears in some error."""
    assert errors, "expected a violation"
    for fragment in fragments:
        assert any(fragment in e for e in errors), (fragment, errors)


# ---------------------------------------------------------------------------------------------
# Application commands
# ---------------------------------------------------------------------------------------------


def option(**fields: Any) -> Json:
    return {"type": 3, "name": "query", "description": "What to look for", **fields}


def command(**fields: Any) -> Json:
    return {"type": 1, "name": "ask", "description": "Ask a question", **fields}


def sync(*commands: Json, guild: bool = True) -> list[str]:
    return validate_command_sync(list(commands), guild=guild)


def options(n: int, **fields: Any) -> list[Json]:
    return [option(name=f"opt{i}", **fields) for i in range(n)]


def choices(n: int, value: Callable[[int], Any] = str, name_len: int = 0) -> list[Json]:
    return [{"name": f"c{i}".ljust(name_len, "x"), "value": value(i)} for i in range(n)]


# (case id, commands, expected error fragment or None when valid)
COMMAND_CASES: list[tuple[str, list[Json], str | None]] = [
    # command types
    ("chat-input", [command()], None),
    ("type-defaults-to-chat-input", [{"name": "ask", "description": "d"}], None),
    # USER context menus are out of scope: refused, saying so
    ("user-command", [{"type": 2, "name": "High Five"}], "2 is not one of 1 (CHAT_INPUT), 3"),
    ("unknown-type", [command(type=9)], "is not one of 1 (CHAT_INPUT)"),
    # MESSAGE context menus: any case and spaces, 1-32 characters, no description or options
    ("message-command", [{"type": 3, "name": "Answer with Nexus"}], None),
    ("message-command-empty-description", [{"type": 3, "name": "A b", "description": ""}], None),
    ("message-command-32", [{"type": 3, "name": "A" * 32}], None),
    ("message-command-33", [{"type": 3, "name": "A" * 33}], "commands[0].name"),
    (
        "message-command-description",
        [{"type": 3, "name": "Answer", "description": "Answers"}],
        "description: must be empty for a MESSAGE command",
    ),
    (
        "message-command-options",
        [{"type": 3, "name": "Answer", "options": [option()]}],
        "a MESSAGE command takes no options",
    ),
    (
        "message-command-and-slash-share-a-name",
        [command(name="answer"), {"type": 3, "name": "answer"}],
        None,
    ),
    (
        "message-command-duplicate",
        [{"type": 3, "name": "Answer"}, {"type": 3, "name": "Answer"}],
        "commands[1].name: duplicate guild MESSAGE command name",
    ),
    ("5-message-commands", [{"type": 3, "name": f"M{i}"} for i in range(5)], None),
    (
        "6-message-commands",
        [{"type": 3, "name": f"M{i}"} for i in range(6)],
        "at most 5 guild MESSAGE commands",
    ),
    # chat input names
    ("name-dash-underscore", [command(name="ask-a_q")], None),
    ("name-unicode", [command(name="café-日本語")], None),
    ("name-devanagari", [command(name="नमस्ते")], None),
    ("name-apostrophe", [command(name="don't")], None),
    ("name-uppercase", [command(name="Ask")], "commands[0].name: 'Ask' must match"),
    ("name-space", [command(name="ask me")], "and be lowercase"),
    ("name-33", [command(name="a" * 33)], "commands[0].name"),
    ("name-empty", [command(name="")], "commands[0].name"),
    ("name-missing", [{"type": 1, "description": "d"}], "commands[0].name: is required"),
    # descriptions
    ("description-100", [command(description="d" * 100)], None),
    ("description-101", [command(description="d" * 101)], "commands[0].description"),
    ("description-empty", [command(description="")], "commands[0].description"),
    ("description-missing", [{"type": 1, "name": "ask"}], "description: is required"),
    # at most 100 commands, unique names
    ("100-chat-input", [command(name=f"c{i}") for i in range(100)], None),
    ("101-chat-input", [command(name=f"c{i}") for i in range(101)], "at most 100"),
    ("duplicate-name", [command(), command()], "commands[1].name: duplicate"),
    # options: count, names, descriptions, types
    ("25-options", [command(options=options(25))], None),
    ("26-options", [command(options=options(26))], "commands[0].options: must have at most 25"),
    (
        "option-name-uppercase",
        [command(options=[option(name="Query")])],
        "commands[0].options[0].name: 'Query' must match",
    ),
    (
        "option-duplicate-name",
        [command(options=[option(), option()])],
        "options[1].name: duplicate option name",
    ),
    ("option-description-101", [command(options=[option(description="d" * 101)])], "options[0]"),
    ("option-description-missing", [command(options=[{"type": 3, "name": "q"}])], "is required"),
    ("option-type-channel", [command(options=[option(type=7)])], "type: 7 is not one of"),
    ("option-type-12", [command(options=[option(type=12)])], "options[0].type: 12"),
    # required before optional
    (
        "required-first",
        [command(options=[option(name="a", required=True), option(name="b")])],
        None,
    ),
    (
        "required-after-optional",
        [command(options=[option(name="a"), option(name="b", required=True)])],
        "options[1].required: required options must be listed before optional ones",
    ),
    # subcommands and groups
    (
        "group-with-subcommands",
        [
            command(
                options=[
                    option(type=2, name="admin", options=[option(type=1, name="purge")]),
                    option(type=1, name="list", options=[option(required=True)]),
                ]
            )
        ],
        None,
    ),
    (
        "group-in-group",
        [command(options=[option(type=2, name="g", options=[option(type=2, name="h")])])],
        "may only contain SUB_COMMAND",
    ),
    (
        "group-with-plain-option",
        [command(options=[option(type=2, name="g", options=[option()])])],
        "may only contain SUB_COMMAND",
    ),
    (
        "subcommand-in-subcommand",
        [command(options=[option(type=1, name="s", options=[option(type=1, name="t")])])],
        "a SUB_COMMAND cannot contain",
    ),
    (
        "subcommand-mixed-with-option",
        [command(options=[option(type=1, name="s"), option(name="q")])],
        "cannot mix SUB_COMMAND",
    ),
    (
        "nested-options-on-string",
        [command(options=[option(options=[option(name="x")])])],
        "options[0].options: not allowed on STRING options",
    ),
    # choices
    ("25-choices", [command(options=[option(choices=choices(25))])], None),
    ("26-choices", [command(options=[option(choices=choices(26))])], "choices: must have at most"),
    (
        "choice-name-101",
        [command(options=[option(choices=choices(1, name_len=101))])],
        "choices[0].name",
    ),
    (
        "choice-name-empty",
        [command(options=[option(choices=[{"name": "", "value": "v"}])])],
        "choices[0].name",
    ),
    (
        "string-choice-value-101",
        [command(options=[option(choices=[{"name": "n", "value": "v" * 101}])])],
        "choices[0].value: must be at most 100",
    ),
    ("integer-choices", [command(options=[option(type=4, choices=choices(3, int))])], None),
    (
        "integer-choice-string-value",
        [command(options=[option(type=4, choices=choices(1, str))])],
        "choices[0].value: must be an integer",
    ),
    (
        "integer-choice-float-value",
        [command(options=[option(type=4, choices=[{"name": "n", "value": 1.5}])])],
        "must be an integer",
    ),
    (
        "choices-on-boolean",
        [command(options=[option(type=5, choices=choices(2))])],
        "choices: not allowed on BOOLEAN",
    ),
    # autocomplete
    ("autocomplete", [command(options=[option(autocomplete=True)])], None),
    (
        "autocomplete-with-choices",
        [command(options=[option(autocomplete=True, choices=choices(2))])],
        "autocomplete: may not be true when choices are present",
    ),
    (
        "autocomplete-on-user",
        [command(options=[option(type=6, autocomplete=True)])],
        "autocomplete: not allowed on USER",
    ),
    # min/max value
    ("int-range", [command(options=[option(type=4, min_value=1, max_value=50)])], None),
    (
        "int-range-reversed",
        [command(options=[option(type=4, min_value=5, max_value=1)])],
        "min_value (5) must not be greater than max_value (1)",
    ),
    (
        "int-range-float",
        [command(options=[option(type=4, min_value=0.5)])],
        "min_value: must be an integer",
    ),
    (
        "int-range-too-big",
        [command(options=[option(type=4, max_value=2**53)])],
        "max_value: must be between",
    ),
    ("range-on-string", [command(options=[option(min_value=1)])], "min_value: not allowed"),
    # min/max length
    ("length-bounds", [command(options=[option(min_length=0, max_length=6000)])], None),
    ("min-length-6001", [command(options=[option(min_length=6001)])], "min_length: must be"),
    ("max-length-0", [command(options=[option(max_length=0)])], "max_length: must be"),
    (
        "length-reversed",
        [command(options=[option(min_length=10, max_length=2)])],
        "min_length (10) must not be greater",
    ),
    ("length-on-integer", [command(options=[option(type=4, max_length=5)])], "not allowed"),
    # default_member_permissions
    ("permissions-string", [command(default_member_permissions="8192")], None),
    ("permissions-int", [command(default_member_permissions=8192)], None),
    ("permissions-zero", [command(default_member_permissions="0")], None),
    ("permissions-null", [command(default_member_permissions=None)], None),
    ("permissions-text", [command(default_member_permissions="admin")], "must be null or"),
    ("permissions-negative", [command(default_member_permissions=-1)], "must be null or"),
    ("permissions-bool", [command(default_member_permissions=True)], "must be null or"),
    # total characters (names + descriptions + choices, recursively)
    (
        "chars-under-4000",
        [command(options=[option(choices=choices(15, lambda i: "v" * 100, name_len=100))])],
        None,
    ),
    (
        "chars-over-4000",
        [command(options=[option(choices=choices(25, lambda i: "v" * 100, name_len=100))])],
        "commands[0]: names, descriptions and choices total",
    ),
    # other fields discord.py sends
    ("nsfw-not-bool", [command(nsfw="yes")], "nsfw: must be a boolean"),
]


@pytest.mark.parametrize(
    ("commands", "expected"),
    [pytest.param(cmds, exp, id=case) for case, cmds, exp in COMMAND_CASES],
)
def test_command_rules(commands: list[Json], expected: str | None) -> None:
    errors = validate_command_sync(commands, guild=True)
    if expected is None:
        assert errors == []
    else:
        assert_rejected(errors, expected)


def test_command_sync_body_must_be_a_list() -> None:
    assert_rejected(validate_command_sync({"name": "x"}, guild=False), "must be an array")  # type: ignore[arg-type]


def test_command_limits_mention_the_scope() -> None:
    errors = validate_command_sync([command(name=f"c{i}") for i in range(101)], guild=False)
    assert_rejected(errors, "at most 100 global CHAT_INPUT commands")


def test_errors_collect_every_violation() -> None:
    errors = sync(command(name="Ask", description="", options=options(26)))
    assert len(errors) == 3


# -- the body discord.py 2.7.1 builds in CommandTree.sync() ----------------------------------


def build_sync_payload() -> list[Json]:
    """Commands as ``CommandTree.sync`` sends them: ``[command.to_dict(tree) ...]``."""
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)

    class Projects(app_commands.Group, name="projects", description="Browse the project ideas"):
        admin = app_commands.Group(name="admin", description="Moderate project ideas")

        @app_commands.command(name="list", description="List projects")
        async def list_(
            self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 50] = 1
        ) -> None: ...

        @app_commands.command(description="Search projects")
        @app_commands.describe(query="What to look for", kind="Kind of project")
        async def search(
            self,
            interaction: discord.Interaction,
            query: app_commands.Range[str, 2, 100],
            kind: Literal["api", "bot", "web"] | None = None,
        ) -> None: ...

        @search.autocomplete("query")
        async def query_autocomplete(
            self, interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return []

        @admin.command(name="purge", description="Remove a member's ideas")
        async def purge(self, interaction: discord.Interaction, member: discord.User) -> None: ...

    tree.add_command(Projects())

    @tree.command(description="Ask the mentors a question")
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.choices(
        level=[
            app_commands.Choice(name="Beginner", value=1),
            app_commands.Choice(name="Pro", value=2),
        ]
    )
    async def ask(
        interaction: discord.Interaction, question: str, level: int = 1, public: bool = False
    ) -> None: ...

    return [cmd.to_dict(tree) for cmd in tree.get_commands()]


@pytest.fixture(scope="module")
def tree_payload() -> list[Json]:
    return build_sync_payload()


def test_discord_py_tree_payload_shape(tree_payload: list[Json]) -> None:
    by_name = {c["name"]: c for c in tree_payload}
    assert set(by_name) == {"projects", "ask"}
    # discord.py sends an int (Discord echoes a string)
    assert by_name["ask"]["default_member_permissions"] == 8192
    search = next(o for o in by_name["projects"]["options"] if o["name"] == "search")
    assert search["options"][0]["autocomplete"] is True


@pytest.mark.parametrize("guild", [True, False])
def test_discord_py_tree_payload_is_valid(tree_payload: list[Json], guild: bool) -> None:
    assert validate_command_sync(tree_payload, guild=guild) == []


def _ask(payload: list[Json]) -> Json:
    return next(c for c in payload if c["name"] == "ask")


def _break_uppercase(payload: list[Json]) -> str:
    _ask(payload)["options"][0]["name"] = "Question"
    return "options[0].name: 'Question' must match"


def _break_26_options(payload: list[Json]) -> str:
    _ask(payload)["options"] += [option(name=f"extra{i}") for i in range(23)]
    return "options: must have at most 25 items (got 26)"


def _break_required_after_optional(payload: list[Json]) -> str:
    _ask(payload)["options"].append(option(name="late", required=True))
    return "options[3].required: required options must be listed before optional ones"


def _break_long_description(payload: list[Json]) -> str:
    projects = next(c for c in payload if c["name"] == "projects")
    projects["options"][0]["description"] = "d" * 101
    return "options[0].description: must be 1-100 characters (got 101)"


@pytest.mark.parametrize(
    "breaker",
    [
        _break_uppercase,
        _break_26_options,
        _break_required_after_optional,
        _break_long_description,
    ],
)
def test_broken_discord_py_payload_is_rejected(
    tree_payload: list[Json], breaker: Callable[[list[Json]], str]
) -> None:
    payload = copy.deepcopy(tree_payload)
    expected = breaker(payload)
    assert_rejected(validate_command_sync(payload, guild=True), expected)


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def button(**fields: Any) -> Json:
    return {"type": 2, "style": 1, "label": "Read more", "custom_id": "more", **fields}


def row(*children: Json) -> Json:
    return {"type": 1, "components": list(children)}


def string_select(**fields: Any) -> Json:
    return {
        "type": 3,
        "custom_id": "topic",
        "options": [{"label": "Docker", "value": "docker"}, {"label": "K8s", "value": "k8s"}],
        **fields,
    }


def embed(**fields: Any) -> Json:
    return {"title": "Docker", **fields}


MESSAGE_CASES: list[tuple[str, Json, str | None]] = [
    # content and emptiness
    ("content", {"content": "hi"}, None),
    ("content-2000", {"content": "x" * 2000}, None),
    ("content-2001", {"content": "x" * 2001}, "content: must be at most 2000"),
    ("content-not-string", {"content": 5}, "content: must be a string"),
    ("empty", {}, "cannot send an empty message"),
    ("empty-content", {"content": "", "embeds": []}, "cannot send an empty message"),
    ("embeds-only", {"embeds": [embed()]}, None),
    ("components-only", {"components": [row(button())]}, None),
    ("attachments-only", {"attachments": [{"id": 0, "filename": "a.txt"}]}, None),
    # embeds
    ("10-embeds", {"embeds": [embed()] * 10}, None),
    ("11-embeds", {"embeds": [embed()] * 11}, "embeds: must have at most 10"),
    ("title-256", {"embeds": [embed(title="t" * 256)]}, None),
    ("title-257", {"embeds": [embed(title="t" * 257)]}, "embeds[0].title"),
    ("description-4096", {"embeds": [embed(description="d" * 4096)]}, None),
    ("description-4097", {"embeds": [embed(description="d" * 4097)]}, "embeds[0].description"),
    (
        "25-fields",
        {"embeds": [embed(fields=[{"name": "n", "value": "v"}] * 25)]},
        None,
    ),
    (
        "26-fields",
        {"embeds": [embed(fields=[{"name": "n", "value": "v"}] * 26)]},
        "embeds[0].fields: must have at most 25",
    ),
    ("field-name-256", {"embeds": [embed(fields=[{"name": "n" * 256, "value": "v"}])]}, None),
    (
        "field-name-257",
        {"embeds": [embed(fields=[{"name": "n" * 257, "value": "v"}])]},
        "fields[0].name",
    ),
    ("field-name-empty", {"embeds": [embed(fields=[{"name": "", "value": "v"}])]}, "fields[0]"),
    ("field-value-1024", {"embeds": [embed(fields=[{"name": "n", "value": "v" * 1024}])]}, None),
    (
        "field-value-1025",
        {"embeds": [embed(fields=[{"name": "n", "value": "v" * 1025}])]},
        "fields[0].value",
    ),
    ("field-value-missing", {"embeds": [embed(fields=[{"name": "n"}])]}, "value: is required"),
    ("footer-2048", {"embeds": [embed(footer={"text": "f" * 2048})]}, None),
    ("footer-2049", {"embeds": [embed(footer={"text": "f" * 2049})]}, "footer.text"),
    ("footer-without-text", {"embeds": [embed(footer={"icon_url": "https://i"})]}, "footer.text"),
    ("author-256", {"embeds": [embed(author={"name": "a" * 256})]}, None),
    ("author-257", {"embeds": [embed(author={"name": "a" * 257})]}, "author.name"),
    (
        "total-6000",
        {"embeds": [{"description": "d" * 3000}, {"description": "d" * 3000}]},
        None,
    ),
    (
        "total-6001",
        {"embeds": [{"description": "d" * 3000}, {"description": "d" * 2998, "title": "abc"}]},
        "embed text totals 6001 characters",
    ),
    ("image-attachment", {"embeds": [embed(image={"url": "attachment://a.png"})]}, None),
    ("image-without-url", {"embeds": [embed(image={})]}, "image.url: is required"),
    ("image-url-malformed", {"embeds": [embed(image={"url": "a b"})]}, "not a well formed URL"),
    ("color-max", {"embeds": [embed(color=0xFFFFFF)]}, None),
    ("color-too-big", {"embeds": [embed(color=0x1000000)]}, "color: must be between"),
    ("color-negative", {"embeds": [embed(color=-1)]}, "color"),
    ("color-string", {"embeds": [embed(color="red")]}, "color: must be an integer"),
    # replies
    ("reply", {"content": "x", "message_reference": {"message_id": "12"}}, None),
    (
        "reply-in-full",
        {
            "content": "x",
            "message_reference": {
                "message_id": 12,
                "channel_id": "3",
                "guild_id": "4",
                "fail_if_not_exists": False,
            },
        },
        None,
    ),
    ("reply-without-id", {"content": "x", "message_reference": {}}, "message_id: must be a"),
    (
        "reply-bad-channel",
        {"content": "x", "message_reference": {"message_id": "1", "channel_id": "x"}},
        "message_reference.channel_id: must be a snowflake",
    ),
    (
        "forward",
        {"content": "x", "message_reference": {"type": 1, "message_id": "1"}},
        "message_reference.type: 1 is not one of 0 (DEFAULT)",
    ),
    # allowed mentions
    ("mentions-parse", {"content": "x", "allowed_mentions": {"parse": ["users", "roles"]}}, None),
    ("mentions-none", {"content": "x", "allowed_mentions": {"parse": []}}, None),
    (
        "mentions-bad-parse",
        {"content": "x", "allowed_mentions": {"parse": ["channels"]}},
        "allowed_mentions.parse[0]: 'channels' is not one of",
    ),
    (
        "mentions-users-list",
        {"content": "x", "allowed_mentions": {"users": [1, "2"], "replied_user": True}},
        None,
    ),
    (
        "mentions-parse-and-users",
        {"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}},
        "parse contains 'users' and a users list",
    ),
    (
        "mentions-parse-and-roles",
        {"content": "x", "allowed_mentions": {"parse": ["roles"], "roles": ["1"]}},
        "parse contains 'roles' and a roles list",
    ),
    (
        "mentions-parse-and-empty-users",
        {"content": "x", "allowed_mentions": {"parse": ["users"], "users": []}},
        None,
    ),
    (
        "mentions-bad-id",
        {"content": "x", "allowed_mentions": {"users": ["bob"]}},
        "users[0]: 'bob' is not a snowflake",
    ),
    # nonce and flags
    ("nonce-int", {"content": "x", "nonce": 123456789012345678}, None),
    ("nonce-25", {"content": "x", "nonce": "n" * 25}, None),
    ("nonce-26", {"content": "x", "nonce": "n" * 26}, "nonce: must be at most 25"),
    ("nonce-float", {"content": "x", "nonce": 1.5}, "nonce: must be a string"),
    ("flags", {"content": "x", "flags": 64}, None),
    ("flags-string", {"content": "x", "flags": "64"}, "flags: must be an integer"),
    # action rows and buttons
    ("5-buttons", {"components": [row(*(button(custom_id=f"b{i}") for i in range(5)))]}, None),
    (
        "6-buttons",
        {"components": [row(*(button(custom_id=f"b{i}") for i in range(6)))]},
        "components[0].components: must have 1-5",
    ),
    ("empty-row", {"components": [row()], "content": "x"}, "components[0].components"),
    ("5-rows", {"components": [row(button(custom_id=f"b{i}")) for i in range(5)]}, None),
    (
        "6-rows",
        {"components": [row(button(custom_id=f"b{i}")) for i in range(6)]},
        "components: must have at most 5",
    ),
    ("top-level-button", {"components": [button()]}, "top-level components must be action rows"),
    ("button-style-0", {"components": [row(button(style=0))]}, "style: 0 is not one of"),
    ("button-style-7", {"components": [row(button(style=7))]}, "style: 7 is not one of"),
    ("button-label-80", {"components": [row(button(label="l" * 80))]}, None),
    ("button-label-81", {"components": [row(button(label="l" * 81))]}, "label: must be at most 80"),
    ("button-emoji-only", {"components": [row(button(label=None, emoji={"name": "👍"}))]}, None),
    ("button-no-label", {"components": [row(button(label=None))]}, "needs a label or an emoji"),
    ("button-no-custom-id", {"components": [row(button(custom_id=None))]}, "custom_id: is req"),
    (
        "button-custom-id-101",
        {"components": [row(button(custom_id="c" * 101))]},
        "custom_id: must be 1-100",
    ),
    (
        "link-button-not-modelled",
        {"components": [row({"type": 2, "style": 5, "label": "Docs", "url": "https://d.io"})]},
        "style: 5 is not one of 1 (PRIMARY), 2 (SECONDARY), 3 (SUCCESS), 4 (DANGER) (",
    ),
    (
        "duplicate-custom-ids",
        {"components": [row(button()), row(button())]},
        "components[1].components[0].custom_id: duplicate custom_id 'more'",
    ),
    (
        "text-input-in-message",
        {"components": [row({"type": 4, "custom_id": "t", "style": 1, "label": "l"})]},
        "message action rows hold buttons",
    ),
    # select menus
    ("string-select", {"components": [row(string_select(placeholder="p" * 150))]}, None),
    (
        "select-with-button",
        {"components": [row(string_select(), button())]},
        "an action row with a select menu cannot hold anything else",
    ),
    (
        "select-placeholder-151",
        {"components": [row(string_select(placeholder="p" * 151))]},
        "placeholder: must be at most 150",
    ),
    ("select-no-options", {"components": [row(string_select(options=[]))]}, "options: must have"),
    (
        "select-26-options",
        {
            "components": [
                row(string_select(options=[{"label": f"{i}", "value": f"{i}"} for i in range(26)]))
            ]
        },
        "options: must have 1-25",
    ),
    (
        "select-option-label-101",
        {"components": [row(string_select(options=[{"label": "l" * 101, "value": "v"}]))]},
        "options[0].label",
    ),
    (
        "select-option-value-101",
        {"components": [row(string_select(options=[{"label": "l", "value": "v" * 101}]))]},
        "options[0].value",
    ),
    (
        "select-option-description-101",
        {
            "components": [
                row(string_select(options=[{"label": "l", "value": "v", "description": "d" * 101}]))
            ]
        },
        "options[0].description",
    ),
    ("select-values-range", {"components": [row(string_select(min_values=0, max_values=2))]}, None),
    (
        "select-min-values-26",
        {"components": [row(string_select(min_values=26))]},
        "min_values: must be between 0 and 25",
    ),
    (
        "select-max-values-0",
        {"components": [row(string_select(max_values=0))]},
        "max_values: must be between 1 and 25",
    ),
    (
        "select-max-values-over-options",
        {"components": [row(string_select(max_values=3))]},
        "max_values: 3 exceeds the number of options (2)",
    ),
    # what the bot does not send is refused, saying the emulator does not model it
    (
        "user-select-not-modelled",
        {"components": [row({"type": 5, "custom_id": "u", "max_values": 3})]},
        "components[0].components[0].type: 5: message action rows hold buttons (2) or string",
    ),
    (
        "layout-not-modelled",
        {"flags": 1 << 15, "components": [{"type": 10, "content": "Hello"}]},
        "components[0].type: 10: top-level components must be action rows (1) (Discord allows",
    ),
]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [pytest.param(payload, exp, id=case) for case, payload, exp in MESSAGE_CASES],
)
def test_message_rules(payload: Json, expected: str | None) -> None:
    errors = validate_message(payload)
    if expected is None:
        assert errors == []
    else:
        assert_rejected(errors, expected)


def test_edit_may_be_empty_or_clear_fields() -> None:
    assert validate_message({}, edit=True) == []
    assert validate_message({"content": None, "embeds": [], "components": []}, edit=True) == []
    assert_rejected(validate_message({"content": "x" * 2001}, edit=True), "content")


def test_message_body_must_be_an_object() -> None:
    assert_rejected(validate_message(["hi"]), "body: must be an object")  # type: ignore[arg-type]


def _view() -> discord.ui.View:
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Read more", custom_id="more"))
    view.add_item(discord.ui.Button(emoji="📅", custom_id="calendar", disabled=True))
    view.add_item(
        discord.ui.Select(
            custom_id="topic",
            placeholder="Choose a topic",
            options=[discord.SelectOption(label="Docker"), discord.SelectOption(label="K8s")],
        )
    )
    return view


def test_discord_py_message_payloads_are_valid() -> None:
    em = (
        discord.Embed(title="T", description="D", color=0x123456)
        .add_field(name="n", value="v", inline=False)
        .set_footer(text="f")
        .set_author(name="a")
        .set_image(url="attachment://chart.png")
    )
    mentions = discord.AllowedMentions(everyone=False, users=[discord.Object(1)], roles=True)
    params = handle_message_parameters(
        content="hi <@1>", embed=em, view=_view(), allowed_mentions=mentions, nonce=123
    )
    assert validate_message(params.payload) == []

    with_file = handle_message_parameters(file=discord.File(io.BytesIO(b"x"), filename="a.txt"))
    assert with_file.multipart is not None
    import json

    body = json.loads(with_file.multipart[0]["value"])
    assert validate_message(body) == []


# ---------------------------------------------------------------------------------------------
# Interaction responses
# ---------------------------------------------------------------------------------------------

COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5

# Which callback types may answer which interaction types (discord-api-docs).
ALLOWED_CALLBACKS: dict[int, set[int]] = {
    COMMAND: {4, 5, 9},
    COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}

VALID_BODIES: dict[int, Json] = {
    4: {"type": 4, "data": {"content": "hi"}},
    5: {"type": 5},
    6: {"type": 6},
    7: {"type": 7, "data": {"content": "edited"}},
    8: {"type": 8, "data": {"choices": [{"name": "Docker", "value": "docker"}]}},
    9: {
        "type": 9,
        "data": {
            "title": "Feedback",
            "custom_id": "fb",
            "components": [row({"type": 4, "custom_id": "n", "style": 1, "label": "Name"})],
        },
    },
}


@pytest.mark.parametrize("interaction_type", sorted(ALLOWED_CALLBACKS))
@pytest.mark.parametrize("callback_type", sorted(VALID_BODIES))
def test_callback_type_matrix(interaction_type: int, callback_type: int) -> None:
    errors = validate_interaction_response(
        VALID_BODIES[callback_type], interaction_type=interaction_type
    )
    if callback_type in ALLOWED_CALLBACKS[interaction_type]:
        assert errors == []
    else:
        assert_rejected(errors, "type: ", "cannot answer an interaction of type")


def modal(*components: Json, **fields: Any) -> Json:
    data = {"title": "Feedback", "custom_id": "fb", "components": list(components), **fields}
    return {"type": 9, "data": data}


def text_input(**fields: Any) -> Json:
    return {"type": 4, "custom_id": "name", "style": 1, "label": "Name", **fields}


def choice_body(*items: Json) -> Json:
    return {"type": 8, "data": {"choices": list(items)}}


RESPONSE_CASES: list[tuple[str, Json, int, str | None]] = [
    ("unknown-callback", {"type": 10}, COMMAND, "type: 10 is not one of"),
    ("missing-type", {"data": {}}, COMMAND, "type: is required"),
    ("message-empty", {"type": 4, "data": {}}, COMMAND, "data: cannot send an empty message"),
    ("message-no-data", {"type": 4}, COMMAND, "data: is required"),
    ("message-bad-content", {"type": 4, "data": {"content": "x" * 2001}}, COMMAND, "data.content"),
    ("deferred-ephemeral", {"type": 5, "data": {"flags": 64}}, COMMAND, None),
    ("deferred-bad-flags", {"type": 5, "data": {"flags": "x"}}, COMMAND, "data.flags"),
    ("update-clears", {"type": 7, "data": {"content": None, "components": []}}, COMPONENT, None),
    ("update-no-data", {"type": 7}, COMPONENT, None),
    # autocomplete results
    (
        "autocomplete-25",
        choice_body(*({"name": f"c{i}", "value": f"{i}"} for i in range(25))),
        AUTOCOMPLETE,
        None,
    ),
    (
        "autocomplete-26",
        choice_body(*({"name": f"c{i}", "value": f"{i}"} for i in range(26))),
        AUTOCOMPLETE,
        "data.choices: must have at most 25",
    ),
    ("autocomplete-empty", choice_body(), AUTOCOMPLETE, None),
    (
        "autocomplete-name-101",
        choice_body({"name": "n" * 101, "value": "v"}),
        AUTOCOMPLETE,
        "data.choices[0].name",
    ),
    (
        "autocomplete-name-empty",
        choice_body({"name": "", "value": "v"}),
        AUTOCOMPLETE,
        "data.choices[0].name",
    ),
    (
        "autocomplete-value-101",
        choice_body({"name": "n", "value": "v" * 101}),
        AUTOCOMPLETE,
        "data.choices[0].value: must be at most 100",
    ),
    ("autocomplete-int", choice_body({"name": "n", "value": 3}), AUTOCOMPLETE, None),
    (
        "autocomplete-bool",
        choice_body({"name": "n", "value": True}),
        AUTOCOMPLETE,
        "data.choices[0].value",
    ),
    ("autocomplete-no-choices", {"type": 8, "data": {}}, AUTOCOMPLETE, "data.choices: is req"),
    # modals
    ("modal", modal(row(text_input())), COMMAND, None),
    ("modal-5-rows", modal(*(row(text_input(custom_id=f"t{i}")) for i in range(5))), COMMAND, None),
    (
        "modal-6-rows",
        modal(*(row(text_input(custom_id=f"t{i}")) for i in range(6))),
        COMMAND,
        "data.components: must have 1-5",
    ),
    ("modal-no-rows", modal(), COMMAND, "data.components: must have 1-5"),
    ("modal-title-45", modal(row(text_input()), title="t" * 45), COMMAND, None),
    ("modal-title-46", modal(row(text_input()), title="t" * 46), COMMAND, "data.title"),
    ("modal-title-empty", modal(row(text_input()), title=""), COMMAND, "data.title"),
    ("modal-custom-id-101", modal(row(text_input()), custom_id="c" * 101), COMMAND, "custom_id"),
    (
        "modal-row-two-inputs",
        modal(row(text_input(), text_input(custom_id="other"))),
        COMMAND,
        "data.components[0].components: must have 1-1",
    ),
    (
        "modal-row-button",
        modal(row(button())),
        COMMAND,
        "must hold one text input (4)",
    ),
    (
        "modal-duplicate-custom-id",
        modal(row(text_input()), row(text_input())),
        COMMAND,
        "data.components[1].components[0].custom_id: duplicate",
    ),
    ("text-input-style-3", modal(row(text_input(style=3))), COMMAND, "style: 3 is not one of"),
    ("text-input-label-45", modal(row(text_input(label="l" * 45))), COMMAND, None),
    ("text-input-label-46", modal(row(text_input(label="l" * 46))), COMMAND, ".label"),
    ("text-input-no-label", modal(row(text_input(label=None))), COMMAND, "label: is required"),
    (
        "text-input-lengths",
        modal(row(text_input(min_length=0, max_length=4000, value="v" * 4000))),
        COMMAND,
        None,
    ),
    ("min-length-4001", modal(row(text_input(min_length=4001))), COMMAND, "min_length"),
    ("max-length-0", modal(row(text_input(max_length=0))), COMMAND, "max_length"),
    (
        "lengths-reversed",
        modal(row(text_input(min_length=9, max_length=3))),
        COMMAND,
        "min_length (9) must not be greater",
    ),
    ("value-4001", modal(row(text_input(value="v" * 4001))), COMMAND, ".value"),
    ("placeholder-100", modal(row(text_input(placeholder="p" * 100))), COMMAND, None),
    ("placeholder-101", modal(row(text_input(placeholder="p" * 101))), COMMAND, "placeholder"),
    ("modal-bad-top-level", modal(button()), COMMAND, "modal components must be"),
    (
        "modal-label-not-modelled",
        modal({"type": 18, "label": "Name", "component": text_input(label=None)}),
        COMMAND,
        "data.components[0].type: 18: modal components must be action rows (1) (",
    ),
]


@pytest.mark.parametrize(
    ("payload", "interaction_type", "expected"),
    [pytest.param(p, it, exp, id=case) for case, p, it, exp in RESPONSE_CASES],
)
def test_interaction_response_rules(
    payload: Json, interaction_type: int, expected: str | None
) -> None:
    errors = validate_interaction_response(payload, interaction_type=interaction_type)
    if expected is None:
        assert errors == []
    else:
        assert_rejected(errors, expected)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("docker", True), (5, True), (2**53, False), (2.5, False), (True, False), ([], False)],
)
def test_autocomplete_values_are_strings_or_integers(value: Any, ok: bool) -> None:
    """The callback does not say which option it completes: a STRING or an INTEGER one."""
    errors = validate_interaction_response(
        choice_body({"name": "n", "value": value}), interaction_type=AUTOCOMPLETE
    )
    assert (errors == []) is ok, errors


def test_unknown_interaction_type() -> None:
    assert_rejected(
        validate_interaction_response({"type": 4}, interaction_type=9), "interaction_type"
    )


def test_discord_py_modals_are_valid() -> None:
    form = discord.ui.Modal(title="Feedback")
    form.add_item(discord.ui.TextInput(label="Name", min_length=2, max_length=50))
    form.add_item(
        discord.ui.TextInput(label="Details", style=discord.TextStyle.paragraph, required=False)
    )
    body = {"type": 9, "data": form.to_dict()}
    assert validate_interaction_response(body, interaction_type=COMMAND) == []


def test_discord_py_interaction_messages_are_valid() -> None:
    ephemeral = interaction_message_response_params(
        type=4,
        content="hi",
        flags=discord.MessageFlags(ephemeral=True),
        allowed_mentions=discord.AllowedMentions.none(),
        view=_view(),
    )
    assert validate_interaction_response(ephemeral.payload, interaction_type=COMMAND) == []
    cleared = interaction_message_response_params(type=7, content=None, embeds=[], view=None)
    assert validate_interaction_response(cleared.payload, interaction_type=COMPONENT) == []
