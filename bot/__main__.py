"""Command line: `python -m bot run | start | sandbox | db | content | pairing | search`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.config import Settings, SettingsError, load_settings

EXIT_SETTINGS = 2
EXIT_USAGE = 2  # as argparse exits on a usage error


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        for problem in error.problems:
            print(f"configuration error: {problem}", file=sys.stderr)
        print("See .env.example for every setting.", file=sys.stderr)
        raise SystemExit(EXIT_SETTINGS) from None


def cmd_run(_args: argparse.Namespace) -> int:
    """Connect to Discord with DISCORD_TOKEN."""
    settings = _settings_or_exit()
    if not settings.discord_token:
        print(
            "DISCORD_TOKEN is not set: put it in .env or the environment to connect to Discord.\n"
            "To try the bot without a token, run: python -m bot sandbox",
            file=sys.stderr,
        )
        return 1
    import aiohttp
    import discord

    from bot.runner import configure_logging, create_bot, serve

    configure_logging(
        settings.log_level,
        json_format=settings.log_format == "json",
        secrets=(settings.discord_token,),
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(create_bot(settings), settings.discord_token))
    except discord.LoginFailure:
        print("Discord rejected DISCORD_TOKEN: check the token in .env.", file=sys.stderr)
        return 1
    except (OSError, aiohttp.ClientError) as error:
        print(
            f"Could not reach Discord ({error}). Check the network, then try again.",
            file=sys.stderr,
        )
        return 1
    except discord.PrivilegedIntentsRequired:
        print(
            "The bot asks for an intent that is not enabled in the developer portal.",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    """Run on Discord when a token is configured, otherwise the offline sandbox."""
    settings = _settings_or_exit()
    if settings.discord_token:
        return cmd_run(args)
    print(
        "=" * 72 + "\n"
        "  No DISCORD_TOKEN configured: starting the OFFLINE SANDBOX.\n"
        "  The real bot runs against a local Discord emulator; nothing leaves this machine.\n"
        "  Put DISCORD_TOKEN in .env (see .env.example) to connect to Discord.\n" + "=" * 72,
        file=sys.stderr,
    )
    return cmd_sandbox(args)


def cmd_sandbox(args: argparse.Namespace) -> int:
    """The same bot against the local emulator, with a terminal prompt."""
    settings = _settings_or_exit()
    try:
        from bot.sandbox.repl import run_sandbox, script_reader
    except ModuleNotFoundError as missing:
        if missing.name != "emulator":
            raise
        print(
            "The sandbox needs the Discord emulator (the `emulator` package of a source "
            "checkout); this installation (the Docker image) has none. Set DISCORD_TOKEN to run "
            "on Discord.",
            file=sys.stderr,
        )
        return 1

    database = getattr(args, "database", None) or "sqlite+aiosqlite:///data/sandbox.db"
    settings = settings.model_copy(update={"database_url": database})
    member = getattr(args, "member", "ada")
    script = getattr(args, "script", None)
    with contextlib.suppress(KeyboardInterrupt):
        if script is None:
            asyncio.run(run_sandbox(settings, member=member))
        else:
            with open(script, encoding="utf-8") as lines:
                asyncio.run(run_sandbox(settings, member=member, ask=script_reader(lines)))
    return 0


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    """Apply migrations up to head."""
    settings = _settings_or_exit()
    from bot.db import Database
    from bot.db.migrate import current_revision, upgrade

    async def main() -> str | None:
        database = Database(settings.database_url)
        try:
            await upgrade(database)
            return await current_revision(database)
        finally:
            await database.dispose()

    print(f"database at revision {asyncio.run(main())}")
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    """Copy the SQLite database to PATH while the bot may be running."""
    settings = _settings_or_exit()
    from bot.db.backup import backup

    try:
        size = backup(settings.database_url, Path(args.path))
    except (ValueError, FileNotFoundError) as error:
        print(f"backup failed: {error}", file=sys.stderr)
        return 1
    print(
        f"backed up to {args.path} ({size} bytes); restore by stopping the bot and "
        "copying it over the database file"
    )
    return 0


def cmd_content_validate(args: argparse.Namespace) -> int:
    """Check every content file; print `file:line: message` per problem, every problem of
    every file; exit 1 when there is one, or nothing to check."""
    settings = _settings_or_exit()
    from bot.knowledge.cli import check_content

    root = Path(args.path) if args.path else settings.content_dir
    check = check_content(root)
    for problem in check.problems:
        print(problem)
    if check.fatal:
        print(f"content validate: {check.fatal}", file=sys.stderr)
    else:
        print(f"{check.entries} entries, {len(check.problems)} problem(s)", file=sys.stderr)
    return 0 if check.ok else 1


def cmd_content_export(args: argparse.Namespace) -> int:
    """Write the database's current entries back to the content files."""
    settings = _settings_or_exit()
    from bot.db import Database
    from bot.db.migrate import upgrade
    from bot.knowledge.service import KnowledgeService
    from bot.moderation.content import ContentService

    root = Path(args.path) if args.path else settings.content_dir

    async def main() -> list[str]:
        database = Database(settings.database_url)
        try:
            await upgrade(database)
            knowledge = KnowledgeService(database, root)
            report = await knowledge.start()
            for slug in report.conflicts:
                print(f"{slug}: the moderator's edit wins over the changed file", file=sys.stderr)
            return await ContentService(knowledge).export(root)
        finally:
            await database.dispose()

    written = asyncio.run(main())
    for path in written:
        print(path)
    print(f"{len(written)} file(s) written to {root}", file=sys.stderr)
    return 0


def days_back(text: str) -> int:
    """A number of days from 1 to 3650 (an argparse type)."""
    if not text.isdigit() or not 1 <= int(text) <= 3650:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days from 1 to 3650")
    return int(text)


def cmd_content_gaps(args: argparse.Namespace) -> int:
    """Print the questions /learn did not answer well (the moderators' gap inbox)."""
    settings = _settings_or_exit()
    from bot.feedback.cli import print_gaps

    return asyncio.run(print_gaps(settings, args.days, as_json=args.json))


def cmd_search(args: argparse.Namespace) -> int:
    """Print the answers the bot would give."""
    if not args.stdin and not " ".join(args.query).strip():
        print(f"{args.usage}python -m bot search: error: give a query, or --stdin", file=sys.stderr)
        return EXIT_USAGE
    settings = _settings_or_exit()
    from bot.knowledge.cli import run_search

    queries = sys.stdin.read().splitlines() if args.stdin else [" ".join(args.query)]
    return asyncio.run(run_search(settings, queries, as_json=args.json))


def cmd_pairing_simulate(args: argparse.Namespace) -> int:
    """Run a matching round on a synthetic pool."""
    from bot.pairing.simulate import main as simulate_main

    flags = [
        "--frontend",
        str(args.frontend),
        "--backend",
        str(args.backend),
        "--seed",
        str(args.seed),
    ]
    return simulate_main([*flags, "--json"] if args.json else flags)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_, description=help_)
        command.set_defaults(handler=handler)
        return command

    add("run", cmd_run, "connect to Discord with DISCORD_TOKEN")
    for name, handler, help_ in (
        ("start", cmd_start, "run on Discord when DISCORD_TOKEN is set, else the sandbox"),
        ("sandbox", cmd_sandbox, "try the bot offline against a local Discord emulator"),
    ):
        command = add(name, handler, help_)
        command.add_argument(
            "--as",
            dest="member",
            default="ada",
            help="who you are in the sandbox: ada, linus (learners), "
            "grace (moderator), olivia (server admin)",
        )
        command.add_argument(
            "--database",
            help="database URL for the sandbox (default sqlite+aiosqlite:///data/sandbox.db)",
        )
        command.add_argument(
            "--script",
            metavar="FILE",
            help="run the sandbox session typed in FILE, then exit (a demo, or a test)",
        )

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(handler=cmd_db_upgrade)
    db_backup = db_sub.add_parser("backup", help="online backup of the SQLite database")
    db_backup.add_argument("path", help="where to write the copy")
    db_backup.set_defaults(handler=cmd_db_backup)

    content = sub.add_parser("content", help="knowledge base files")
    content_sub = content.add_subparsers(dest="content_command", required=True, metavar="ACTION")
    validate = content_sub.add_parser("validate", help="check content files")
    validate.add_argument("path", nargs="?", help="content folder (default NEXUS_CONTENT_DIR)")
    validate.set_defaults(handler=cmd_content_validate)
    export = content_sub.add_parser("export", help="write the database's entries to files")
    export.add_argument("path", nargs="?", help="content folder (default NEXUS_CONTENT_DIR)")
    export.set_defaults(handler=cmd_content_export)
    gaps = content_sub.add_parser("gaps", help="questions /learn did not answer well")
    gaps.add_argument(
        "--days", type=days_back, default=30, help="asked within this many days (1-3650; 30)"
    )
    gaps.add_argument("--json", action="store_true", help="one JSON list")
    gaps.set_defaults(handler=cmd_content_gaps)

    pairing = sub.add_parser("pairing", help="partner matching tools")
    pairing_sub = pairing.add_subparsers(dest="pairing_command", required=True, metavar="ACTION")
    simulate = pairing_sub.add_parser("simulate", help="match a synthetic pool and time it")
    simulate.add_argument("--frontend", type=int, default=100, help="frontend learners")
    simulate.add_argument("--backend", type=int, default=120, help="backend learners")
    simulate.add_argument("--seed", type=int, default=1, help="random seed")
    simulate.add_argument("--json", action="store_true", help="print one JSON object")
    simulate.set_defaults(handler=cmd_pairing_simulate)

    search = add("search", cmd_search, "search the knowledge base like /learn does")
    search.add_argument("query", nargs="*", help="what to look for")
    search.add_argument("--json", action="store_true", help="print a JSON array")
    search.add_argument("--stdin", action="store_true", help="one query per line from stdin")
    search.set_defaults(usage=search.format_usage())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m bot` and the `nexus-bot` script."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
