"""The sandbox's terminal: type slash commands as a member and read the bot's replies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import stat
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.runner import drop_voice_notice
from bot.sandbox.cast import build_cast
from bot.sandbox.session import Sandbox, running_sandbox
from emulator.interactions import (
    DEFERRED_UPDATE,
    SUBCOMMAND,
    SUBCOMMAND_GROUP,
    UPDATE_MESSAGE,
    InteractionRecord,
    NoResponse,
    NotAutocompleted,
    UsageError,
    find_command,
)
from emulator.render import ModalField, RenderedMessage, render_message, render_modal
from emulator.server import DiscordEmulator, DiscordError
from emulator.world import Message, User

Ask = Callable[[str], Awaitable[str]]

HELP = """\
Type a slash command as you would in Discord, for example:
  /help
  /learn query: docker          (or simply: /learn docker)
  /topics category: challenge
  /pair join role: backend timezone: Africa/Lagos
As grace (a moderator) try /milestone cohort start start: 2026-12-01 or /content add.
Click a button by typing its number (1), pick a select option with 2.1.
  :complete /learn query: dock   what autocomplete offers while you type
  :say how do i deploy           post a message in the channel (numbered: [1], [2], ...)
  :answer 1                      Answer with Nexus on message [1] (its Apps menu)
  :as grace                      act as another member (:who lists them)
  :events                        the server's Events tab (milestones appear there)
  :checkin                       a week passes for pairing: check-ins are asked now
  :notice                        the pool is told about the next pairing round now
  :quit                          leave (Ctrl-D works too)"""


def parse_command_line(emulator: DiscordEmulator, line: str) -> tuple[str, dict[str, str]]:
    """Split `/cmd [group] [sub] opt: value ...` into the command path and option values."""
    text = line.strip().lstrip("/").strip()
    if not text:
        raise UsageError("type a command after the slash, for example /help")
    name, _, rest = text.partition(" ")
    command, _ = find_command(emulator.world, name.lower())
    path, schema = [name.lower()], command.get("options", [])
    rest = rest.strip()
    while any(o["type"] in (SUBCOMMAND, SUBCOMMAND_GROUP) for o in schema):
        word, _, after = rest.partition(" ")
        sub = next((o for o in schema if o["name"] == word.lower()), None)
        if sub is None:
            choices = ", ".join(o["name"] for o in schema)
            raise UsageError(f"/{' '.join(path)} needs one of: {choices}")
        path.append(sub["name"])
        schema, rest = sub.get("options", []), after.strip()
    names = [o["name"] for o in schema]
    values: dict[str, str] = {}
    if names and rest:
        pattern = re.compile(r"(?:^|\s)(" + "|".join(map(re.escape, names)) + r"):\s*")
        found, named = [], set()
        for match in pattern.finditer(rest):  # a name given twice belongs to the first value
            if match.group(1) not in named:
                named.add(match.group(1))
                found.append(match)
        if not found:
            first = next((o for o in schema if o.get("required")), schema[0])
            values[first["name"]] = rest
        elif rest[: found[0].start()].strip():
            raise UsageError(
                f"don't know what {rest[: found[0].start()].strip()!r} is; "
                f"options are: {', '.join(n + ':' for n in names)}"
            )
        for match, following in zip(found, [*found[1:], None], strict=False):
            end = following.start() if following else len(rest)
            values[match.group(1)] = rest[match.end() : end].strip()
    elif rest:
        raise UsageError(f"/{' '.join(path)} takes no options")
    return " ".join(path), values


class Repl:
    """Turns typed lines into interactions and renders what the bot answers."""

    def __init__(self, sandbox: Sandbox, member: str, ask: Ask) -> None:
        self.sandbox = sandbox
        self.emulator = sandbox.emulator
        self.ask = ask
        self.user = self._person(member)
        self.last: tuple[Message, RenderedMessage] | None = None
        self.said: list[Message] = []  # members' messages, numbered from 1 for :answer

    def _person(self, name: str) -> User:
        people = self.sandbox.cast.people
        if name not in people:
            raise UsageError(f"no member called {name!r}; choose from {', '.join(people)}")
        return people[name]

    @property
    def names(self) -> dict[str, str]:
        """Display names for mentions of users, roles and channels."""
        world = self.emulator.world
        found = {str(u.id): u.username for u in world.users.values()}
        found.update({str(r.id): r.name for r in world.roles.values()})
        found.update({str(c.id): c.name for c in world.channels.values()})
        return found

    @property
    def prompt(self) -> str:
        """The prompt showing who is typing where."""
        return f"{self.user.username} in #{self.emulator.default_channel.name}> "

    def render(self, message: Message) -> str:
        """Render a message and remember its actions for number input (a message without any
        leaves the previous message's buttons to the numbers, as they stay on screen)."""
        rendered = render_message(
            message.payload(self.emulator.world.users),
            author=self.emulator.world.bot_user.username,
            names=self.names,
        )
        if rendered.actions:
            self.last = (message, rendered)
        return rendered.text

    def on_bot_post(self, message: Message) -> None:
        """Print what the bot posts on its own (reminders, announcements, DMs) as it
        arrives; its buttons become the ones numbers click."""
        if message.interaction_id is not None:
            return
        channel = self.emulator.world.channels[message.channel_id]
        rendered = render_message(
            message.payload(self.emulator.world.users),
            author=self.emulator.world.bot_user.username,
            names=self.names,
        )
        if rendered.actions:
            self.last = (message, rendered)
        recipient = channel.recipient.username if channel.recipient else "?"
        place = f"#{channel.name}" if channel.guild_id else f"DM to {recipient}"
        print(f"\n[{place}]\n{rendered.text}", flush=True)

    async def _events(self) -> str:
        """The guild's scheduled events, soonest first (once a sync just asked for is done,
        or after 3 seconds)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(3):
                await self.sandbox.bot.jobs.settle("events:")
        events = sorted(
            self.emulator.scheduled_events.values(),
            key=lambda e: str(e["scheduled_start_time"]),
        )
        if not events:
            return "No events. A moderator's /milestone add shows up here."
        return "\n".join(
            f"📅 {e['name']} — {str(e['scheduled_start_time'])[:16].replace('T', ' ')} UTC"
            for e in events
        )

    async def _pairing_now(self, line: str) -> str:
        """Make what pairing does later happen now (its posts print as they arrive)."""
        pairing = self.sandbox.bot.pairing
        if line == ":checkin":
            count = await pairing.make_checkins_due()
            await pairing.sweep()
            return f"{count} group(s) asked how it is going." if count else "No groups yet."
        await pairing.post_round_notice(soon=True)
        return "The pool was told (see #prodevprojectnexus)."

    async def handle(self, line: str) -> str:
        """Handle one typed line and return what to print."""
        line = line.strip()
        try:
            if not line:
                return ""
            if line in (":help", "help", "?"):
                return HELP
            if line == ":who":
                return "\n".join(
                    f"{name}" + (" (you)" if user is self.user else "")
                    for name, user in self.sandbox.cast.people.items()
                )
            if line == ":events":
                return await self._events()
            if line in (":checkin", ":notice"):
                return await self._pairing_now(line)
            if line.startswith(":as"):
                self.user = self._person(line[3:].strip())
                return f"You are now {self.user.username}."
            if line.startswith(":complete"):
                return await self._complete(line[len(":complete") :])
            if line.startswith(":say"):
                return await self._say(line[len(":say") :].strip())
            if line.startswith(":answer"):
                return await self._answer_message(line[len(":answer") :].strip())
            if line.startswith("/"):
                path, values = parse_command_line(self.emulator, line)
                record = await self.emulator.slash_options(self.user, path, values)
                return await self._answer(record)
            if self.last is not None and (picked := self.last[1].resolve(line)):
                action, chosen = picked
                if action.disabled:
                    return "! disabled"
                target = action.custom_id or action.label
                clicked = self.last[0]
                record = await self.emulator.click(self.user, clicked, target, values=list(chosen))
                return await self._answer(record, clicked)
            return "Commands start with / (try /help); :help explains the sandbox."
        except UsageError as error:
            return f"! {error}"
        except NoResponse:
            return "! The application did not respond (no answer within 3 seconds)."

    async def _say(self, text: str) -> str:
        """Post a message as the current member; it is numbered for `:answer`."""
        if not text:
            return "! say something, e.g. :say how do i deploy my api"
        message = await self.emulator.say(self.user, text)
        self.said.append(message)
        return f"[{len(self.said)}] {self.user.username}: {text}"

    async def _answer_message(self, number: str) -> str:
        """Run *Answer with Nexus* from the Apps menu of message `number`."""
        if not number.isdigit() or not 1 <= int(number) <= len(self.said):
            shown = f"1-{len(self.said)}" if self.said else "none yet: post one with :say"
            return f"! which message? :answer N, N being a message number ({shown})"
        message = self.said[int(number) - 1]
        record = await self.emulator.message_command(self.user, "Answer with Nexus", message)
        return await self._answer(record)

    async def _complete(self, rest: str) -> str:
        path, values = parse_command_line(self.emulator, rest)
        if not values:
            return "! name the option you are typing into, e.g. :complete /learn query: dock"
        focused = list(values)[-1]
        try:
            choices = await self.emulator.autocomplete_options(self.user, path, focused, values)
        except NotAutocompleted as fixed:
            if not fixed.choices:
                return f"  (Discord offers nothing while you type into {focused!r})"
            typed = str(values[focused]).casefold()  # Discord's client filters fixed choices
            shown = [c for c in fixed.choices if typed in c.casefold()]
            return "\n".join(f"  {c}" for c in shown) or "  (no choice matches)"
        return "\n".join(f"  {c['name']}" for c in choices) or "  (no suggestions)"

    async def _answer(self, record: InteractionRecord, clicked: Message | None = None) -> str:
        await record.wait_ack()
        if record.rejected:
            return "! Discord rejected the bot's answer: " + "; ".join(record.rejected)
        if record.modal is not None:
            return await self._fill_modal(record)
        edits = record.response_type in (DEFERRED_UPDATE, UPDATE_MESSAGE)
        if record.response_type == DEFERRED_UPDATE:  # the clicked message changes later
            await asyncio.sleep(0.3)
        try:  # an edit of the clicked message has no reply of its own: show the edit at once
            message = await record.wait_message(timeout=1.0 if edits else 15)
        except NoResponse:
            if record.response_type in (DEFERRED_UPDATE, UPDATE_MESSAGE) and clicked is not None:
                return self.render(self.emulator.world.messages.get(clicked.id, clicked))
            raise
        return self.render(message)

    async def _ask_field(self, field: ModalField) -> str:
        """One field of a form, as typed (a paragraph ends with a line holding only '.')."""
        hint = " (optional)" if not field.required else ""
        prefill = f" [{field.value[:40]}]" if field.value else ""
        if not field.paragraph:
            return await self.ask(f"{field.label}{hint}{prefill}: ")
        print(f"{field.label}{hint} (end with a line containing only .){prefill}:", flush=True)
        lines: list[str] = []
        while (part := await self.ask("  | ")) != ".":
            lines.append(part)
        return "\n".join(lines)

    async def _fill_modal(self, record: InteractionRecord) -> str:
        assert record.modal is not None
        text, fields = render_modal(record.modal)
        print(text, flush=True)
        answers: dict[str, str] = {}
        for field in fields:
            while True:  # like Discord's client: a field is checked before the next one
                value = await self._ask_field(field) or (field.value or "")
                problem = field_problem(field, value)
                if problem is None:
                    break
                print(f"! {problem}", flush=True)
            answers[field.custom_id] = value
        submitted = await self.emulator.submit_modal(self.user, record, answers)
        return await self._answer(submitted)


def script_reader(lines: TextIO) -> Ask:
    """Answers read from a file (`sandbox --script FILE`, or `sandbox < FILE`): each line is
    echoed after its prompt, so the output reads like the session it scripts."""

    async def ask(prompt: str) -> str:
        line = lines.readline()
        if not line:
            raise EOFError
        print(f"{prompt}{line.rstrip()}", flush=True)
        return line.rstrip("\n")

    return ask


def field_problem(field: ModalField, value: str) -> str | None:
    """Why Discord's client would not accept `value` in a text field (None: it would)."""
    if field.required and not value:
        return f"{field.label} is required"
    if value and field.min_length and len(value) < field.min_length:
        return f"{field.label} needs at least {field.min_length} characters"
    if field.max_length and len(value) > field.max_length:
        return f"{field.label} takes at most {field.max_length} characters ({len(value)} typed)"
    return None


async def _ask_stdin(prompt: str) -> str:
    """Read a line without a thread (the event loop watches stdin), so stopping never hangs."""
    if stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode):  # a file: no event loop can watch it
        return await script_reader(sys.stdin)(prompt)
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()
    print(prompt, end="", flush=True)

    def readable() -> None:
        loop.remove_reader(sys.stdin.fileno())
        line = sys.stdin.readline()
        if not answer.done():
            if line:
                answer.set_result(line.rstrip("\n"))
            else:
                answer.set_exception(EOFError())

    loop.add_reader(sys.stdin.fileno(), readable)
    try:
        return await answer
    finally:
        loop.remove_reader(sys.stdin.fileno())


def not_heartbeat_lag(record: logging.LogRecord) -> bool:
    """discord.py's "Can't keep up" heartbeat warning goes to the log file only: in the sandbox
    it means the prompt waited for the person typing, not that the bot is behind."""
    return not (record.name == "discord.gateway" and "Can't keep up" in record.getMessage())


async def run_sandbox(settings: Settings, member: str = "ada", ask: Ask = _ask_stdin) -> None:
    """Start emulator + bot and read commands until EOF or :quit."""
    log_path = Path("data/sandbox.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        filename=log_path,
        force=True,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    console.addFilter(drop_voice_notice)
    console.addFilter(not_heartbeat_lag)
    logging.getLogger().addHandler(console)
    print("Starting the sandbox (the bot's log goes to data/sandbox.log) ...", flush=True)
    cast = build_cast(stable=True)  # data/sandbox.db outlives the run: the same members
    async with running_sandbox(settings, cast, guild_ready_timeout=0.2) as sandbox:
        repl = Repl(sandbox, member, ask)
        sandbox.emulator.add_message_listener(repl.on_bot_post)
        people = ", ".join(sandbox.cast.people)
        print(
            f"Connected to the sandbox server {sandbox.cast.world.guild_name!r}. "
            f"Members: {people}.\n{HELP}\n",
            flush=True,
        )
        while True:
            reading = asyncio.ensure_future(ask(repl.prompt))
            await asyncio.wait({reading, sandbox.task}, return_when=asyncio.FIRST_COMPLETED)
            if not reading.done():  # the bot stopped (SIGTERM): leave without waiting
                reading.cancel()
                break
            try:
                line = reading.result()
            except EOFError:
                break
            if line.strip() in (":quit", ":q", "exit", "quit"):
                break
            try:
                output = await repl.handle(line)
            except DiscordError as error:
                output = f"! {error.message}"
            except EOFError:  # input ended while a form was being filled in
                print("(input ended: the form was not sent)", flush=True)
                break
            if output:
                print(output, flush=True)
    print("Sandbox closed.")


__all__ = ["Repl", "parse_command_line", "run_sandbox"]
