"""Property-based: every command and autocomplete, driven with random and hostile values.

Whatever a member types, the bot acknowledges within Discord's 3 seconds, sends nothing
Discord would reject, never pings @everyone or a role, and stays up.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.sandbox.session import Sandbox
from emulator.interactions import UsageError

HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "@everyone",
        "@here",
        "<@&1>",
        "<@1>",
        "'; DROP TABLE entry; --",
        "**x** `y` ||z||",
        "\u200b\u200d\u2066",
        "مرحبا",
        "🚀" * 50,
        "\x00\x1b[31m",
        "a" * 6000,
        "../../etc/passwd",
        "${jndi:ldap://x}",
        "<script>alert(1)</script>",
        "%s%s%n",
        "\\",
        "\n\n\n",
    ]
)
TEXT = st.one_of(
    HOSTILE,
    st.text(max_size=300),
    st.text(
        st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "So", "Lo", "Mn"]), max_size=80
    ),
)


def leaves(commands: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Every runnable command path with its options."""
    found = []

    def walk(path: str, options: list[dict[str, Any]]) -> None:
        subs = [o for o in options if o["type"] in (1, 2)]
        if not subs:
            found.append((path, options))
        for sub in subs:
            walk(f"{path} {sub['name']}", sub.get("options", []))

    for command in commands:
        walk(command["name"], command.get("options", []))
    return found


def value_for(option: dict[str, Any], cast_names: list[str]) -> st.SearchStrategy[Any]:
    kind = option["type"]
    if option.get("choices"):
        return st.sampled_from([c["value"] for c in option["choices"]])
    if kind == 3:
        low, high = option.get("min_length", 0), option.get("max_length", 6000)
        return TEXT.map(lambda t: t[:high]).filter(lambda t: len(t) >= max(low, 1))
    if kind in (4, 10):
        low, high = option.get("min_value", -(2**53)), option.get("max_value", 2**53)
        return st.integers(int(low), int(high))
    if kind == 5:
        return st.booleans()
    if kind in (6, 9):
        return st.sampled_from(cast_names)
    raise AssertionError(f"no strategy for option type {kind}")


@st.composite
def invocations(draw: st.DrawFn, sandbox: Sandbox) -> tuple[str, dict[str, Any], str | None]:
    path, options = draw(st.sampled_from(leaves(sandbox.emulator.world.guild_commands)))
    names = list(sandbox.cast.people)
    values = {}
    for option in options:
        if option.get("required") or draw(st.booleans()):
            values[option["name"]] = draw(value_for(option, names))
    focus = [o["name"] for o in options if o.get("autocomplete")]
    focused = draw(st.sampled_from(focus)) if focus and draw(st.booleans()) else None
    if focused is not None:
        values[focused] = draw(TEXT)
    return path, values, focused


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_every_command_survives_hostile_input(sandbox: Sandbox, data: st.DataObject) -> None:
    path, values, focused = data.draw(invocations(sandbox))
    user = data.draw(st.sampled_from(list(sandbox.cast.people.values())))
    emulator = sandbox.emulator
    try:
        if focused is not None:
            choices = await emulator.autocomplete(user, path, focused, **values)
            assert len(choices) <= 25
            return
        record = await emulator.slash(user, path, bypass_permissions=True, **values)
    except UsageError:
        assume(False)  # a Discord client would not let anyone send this
        return
    await record.wait_ack()  # raises when the bot misses the 3-second deadline
    assert record.rejected == [], record.rejected
    for message in record.messages:
        assert not message.mention_everyone and message.mention_role_ids == []
    assert not sandbox.task.done(), "the bot stopped"
