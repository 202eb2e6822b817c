"""Tests for emulator.render: terminal text and numbered actions for the sandbox REPL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from discord.http import handle_message_parameters

from emulator.render import (
    Action,
    ModalField,
    RenderedMessage,
    modal_submit_components,
    relative,
    render_message,
    render_modal,
)

Json = dict[str, Any]


def lines(rendered: RenderedMessage) -> list[str]:
    return rendered.text.splitlines()


def button(label: str, custom_id: str | None = None, **fields: Any) -> Json:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id or label, **fields}


def row(*children: Json) -> Json:
    return {"type": 1, "components": list(children)}


TOPICS: Json = {
    "type": 3,
    "custom_id": "topic",
    "placeholder": "Choose a topic",
    "options": [
        {"label": "Docker", "value": "docker", "description": "Containers"},
        {"label": "Kubernetes", "value": "k8s", "default": True},
    ],
}


# -- content and inline markup ----------------------------------------------------------------


def test_plain_content() -> None:
    rendered = render_message({"content": "Hello\nworld"})
    assert lines(rendered) == ["Hello", "world"]
    assert rendered.actions == ()


def test_mentions_use_names_and_fall_back_to_ids() -> None:
    names = {"1": "alice", "2": "mentors", "3": "general"}
    text = render_message({"content": "<@1> <@!1> <@&2> <#3> <@99>"}, names=names).text
    assert text == "@alice @alice @mentors #general @99"


def test_emoji_timestamps_and_command_mentions() -> None:
    text = render_message(
        {"content": "<:party:123> <a:spin:456> <t:0:d> <t:0> </projects search:789>"}
    ).text
    assert text == ":party: :spin: 1970-01-01 UTC 1970-01-01 00:00 UTC /projects search"


def test_author_header_indents_body_and_marks_ephemeral() -> None:
    rendered = render_message({"content": "hi", "flags": 64}, author="ProDev Nexus")
    assert lines(rendered) == ["ProDev Nexus (only you can see this)", "  hi"]
    assert lines(render_message({"content": "hi", "flags": 64}))[-1] == "(only you can see this)"


def test_bold_flag_uses_ansi_only_when_asked() -> None:
    msg = {"embeds": [{"title": "Docker"}]}
    assert "\x1b[1m" not in render_message(msg).text
    assert "\x1b[1mDocker\x1b[0m" in render_message(msg, bold=True).text


# -- embeds -----------------------------------------------------------------------------------


def test_embed_parts_are_shown_and_color_ignored() -> None:
    msg = {
        "embeds": [
            {
                "author": {"name": "Nexus bot"},
                "title": "Docker basics",
                "url": "https://docs.docker.com",
                "description": "Learn containers\nwith <@1>",
                "color": 0x5865F2,
                "fields": [
                    {"name": "Level", "value": "Beginner"},
                    {"name": "Steps", "value": "one\ntwo"},
                ],
                "image": {"url": "https://i.io/a.png"},
                "footer": {"text": "ProDev"},
                "timestamp": "2024-05-01T10:00:00+00:00",
            }
        ]
    }
    assert lines(render_message(msg, names={"1": "bob"})) == [
        "│ Nexus bot",
        "│ Docker basics (https://docs.docker.com)",
        "│ Learn containers",
        "│ with @bob",
        "│ Level: Beginner",
        "│ Steps: one",
        "│   two",
        "│ [image] https://i.io/a.png",
        "│ — ProDev • 2024-05-01T10:00:00+00:00",
    ]
    assert "5865" not in render_message(msg).text


def test_several_embeds_and_attachments() -> None:
    msg = {
        "content": "see below",
        "embeds": [{"title": "A"}, {"description": "B"}],
        "attachments": [{"id": "1", "filename": "notes.txt"}],
    }
    assert lines(render_message(msg)) == ["see below", "│ A", "│ B", "[attachment] notes.txt"]


# -- buttons and selects ----------------------------------------------------------------------


def test_buttons_are_numbered_with_emoji_and_disabled_marked() -> None:
    msg = {
        "components": [
            row(
                button("Read more", "more"),
                button("Party", "party", style=3, emoji={"name": "party", "id": "123"}),
                button("Delete", "del", style=4, disabled=True, emoji={"name": "🗑"}),
            )
        ]
    }
    rendered = render_message(msg)
    assert lines(rendered) == ["[1] Read more  [2] :party: Party  [3] 🗑 Delete (disabled)"]
    more, party, delete = rendered.actions
    assert more == Action(1, "Read more", "button", "more", 2)
    assert not more.disabled and not party.disabled
    assert delete.disabled


def test_string_select_lists_numbered_options() -> None:
    rendered = render_message({"components": [row(button("Go", "go")), row(TOPICS)]})
    assert lines(rendered) == [
        "[1] Go",
        "[2] Choose a topic ▾",
        "    2.1 Docker — Containers",
        "    2.2 Kubernetes (default)",
    ]
    select = rendered.actions[1]
    assert select.kind == "select"
    assert select.custom_id == "topic"
    assert select.values == ("docker", "k8s")
    assert [o.number for o in select.options] == ["2.1", "2.2"]


def test_components_validation_refuses_are_skipped() -> None:
    """Layouts and other selects never reach a stored message; nothing is drawn for them."""
    users = {"type": 5, "custom_id": "who"}
    rendered = render_message({"content": "hi", "components": [{"type": 10}, row(users)]})
    assert (rendered.text, rendered.actions) == ("hi", ())


def test_numbering_can_continue_from_a_previous_message() -> None:
    rendered = render_message({"components": [row(button("A"), button("B"))]}, start=7)
    assert [a.number for a in rendered.actions] == [7, 8]
    assert rendered.text == "[7] A  [8] B"


def test_discord_py_view_renders() -> None:
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Read more", custom_id="more"))
    view.add_item(
        discord.ui.Select(
            custom_id="topic",
            placeholder="Choose a topic",
            options=[discord.SelectOption(label="Docker"), discord.SelectOption(label="K8s")],
        )
    )
    payload = handle_message_parameters(content="Pick one", view=view).payload
    assert payload is not None
    rendered = render_message(payload)
    assert lines(rendered) == [
        "Pick one",
        "[1] Read more",
        "[2] Choose a topic ▾",
        "    2.1 Docker",
        "    2.2 K8s",
    ]


# -- resolving REPL input ---------------------------------------------------------------------


@pytest.fixture
def menu() -> RenderedMessage:
    return render_message({"components": [row(button("Go", "go")), row(TOPICS)]})


def test_resolve_button(menu: RenderedMessage) -> None:
    assert menu.resolve("1") == (menu.actions[0], ())


def test_resolve_select_options(menu: RenderedMessage) -> None:
    assert menu.resolve("2.2") == (menu.actions[1], ("k8s",))
    assert menu.resolve("2.1, 2.2") == (menu.actions[1], ("docker", "k8s"))


@pytest.mark.parametrize("choice", ["", "x", "3", "1.1", "2.9", "1,2.1", "-1"])
def test_resolve_rejects_unknown_input(menu: RenderedMessage, choice: str) -> None:
    assert menu.resolve(choice) is None


# -- modals -----------------------------------------------------------------------------------


def legacy_modal() -> Json:
    return {
        "title": "Feedback",
        "custom_id": "fb",
        "components": [
            row(
                {
                    "type": 4,
                    "custom_id": "name",
                    "style": 1,
                    "label": "Name",
                    "min_length": 2,
                    "max_length": 50,
                    "value": "Ada",
                    "placeholder": "Your name",
                }
            ),
            row(
                {
                    "type": 4,
                    "custom_id": "details",
                    "style": 2,
                    "label": "Details",
                    "required": False,
                }
            ),
        ],
    }


def test_render_legacy_modal() -> None:
    text, fields = render_modal(legacy_modal())
    assert text.splitlines() == [
        "Modal: Feedback",
        "  1. Name (short, required, 2-50 characters)",
        "      placeholder: Your name",
        "      prefilled: 'Ada'",
        "  2. Details (paragraph, optional)",
    ]
    assert fields == [
        ModalField(
            number=1,
            custom_id="name",
            label="Name",
            style=1,
            required=True,
            min_length=2,
            max_length=50,
            value="Ada",
            placeholder="Your name",
        ),
        ModalField(number=2, custom_id="details", label="Details", style=2, required=False),
    ]
    assert fields[1].paragraph and not fields[0].paragraph


def test_modal_submit_components_shapes() -> None:
    _, fields = render_modal(legacy_modal())
    assert modal_submit_components(fields, {"name": "Grace"}) == [
        {"type": 1, "components": [{"type": 4, "custom_id": "name", "value": "Grace"}]},
        {"type": 1, "components": [{"type": 4, "custom_id": "details", "value": ""}]},
    ]


def test_modal_submit_components_are_parsed_by_discord_py() -> None:
    """Round trip: what the REPL submits fills discord.py's own modal items."""
    modal = discord.ui.Modal(title="Suggest")
    name = discord.ui.TextInput(label="Name", custom_id="name")
    idea = discord.ui.TextInput(label="Idea", custom_id="idea", style=discord.TextStyle.long)
    modal.add_item(name)
    modal.add_item(idea)
    _, fields = render_modal(modal.to_dict())
    components = modal_submit_components(fields, {"name": "Ada", "idea": "A bot"})
    modal._refresh(None, components, {})  # type: ignore[arg-type]
    assert (name.value, idea.value) == ("Ada", "A bot")


def test_relative_timestamps_read_as_discord_shows_them() -> None:
    soon = int((datetime.now(UTC) + timedelta(days=5, minutes=1)).timestamp())
    text = render_message({"content": f"Next round <t:{soon}:R> (<t:{soon}:F>)"}).text
    assert "Next round in 5 days (" in text
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert relative(now - timedelta(hours=3), now) == "3 hours ago"
    assert relative(now + timedelta(hours=1), now) == "in an hour"
    assert relative(now, now) == "now"
