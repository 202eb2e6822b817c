"""Interactions through the emulator: autocomplete round trip, and sustained load.

    python bench/interactions_bench.py autocomplete [--count 500]
    python bench/interactions_bench.py load [--rates 100 200 300 400] [--seconds 10]
    python bench/interactions_bench.py round [--frontend 1500] [--backend 2000] [--count 40]

Autocomplete: the real bot and the emulator in this one process. Round: in this one process too,
how fast `/pair join` and `/learn` are acknowledged while a large pairing round is matched and
written to SQLite, against the same commands with nothing else going on (the baseline).
Load: the bot runs in its own process (as against real Discord) while this process plays
Discord and the members (with its garbage collector paused during a step, so its own pauses
are not blamed on the bot).
Baseline in the same run: a plain REST round trip to the emulator (`GET /users/@me`), i.e.
what loopback HTTP + JSON cost without the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.config import Settings
from bot.sandbox.cast import build_cast
from bot.sandbox.session import running_sandbox
from emulator.server import DiscordEmulator

ROOT = Path(__file__).resolve().parents[1]
PREFIXES = [
    "",
    "d",
    "dj",
    "djan",
    "kub",
    "n+",
    "cel",
    "red",
    "post",
    "gra",
    "jwt",
    "ci",
    "docker comp",
    "deadline",
    "mentor",
    "rubric",
    "qwx",
]
QUERIES = [
    "docker",
    "kubernates",
    "how do I fix n+1 queries",
    "celery beat",
    "jwt refresh",
    "project nexus deadline",
    "who are the mentors",
    "banana spaceship",
    "drf",
    "k8s",
]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settings() -> Settings:
    folder = tempfile.mkdtemp()
    return Settings(
        _env_file=None,
        DATABASE_URL=f"sqlite+aiosqlite:///{folder}/bench.db",  # type: ignore[call-arg]
        NEXUS_CONTENT_DIR=str(ROOT / "content"),
        NEXUS_LOG_LEVEL="WARNING",
    )


async def rest_baseline(api_base: str, token: str, count: int) -> list[float]:
    times = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {token}"}) as http:
        for _ in range(count):
            start = time.perf_counter()
            async with http.get(f"{api_base}/users/@me") as response:
                await response.read()
            times.append(time.perf_counter() - start)
    return times


async def autocomplete(count: int) -> None:
    cast = build_cast()
    async with running_sandbox(settings(), cast, guild_ready_timeout=0.05) as sandbox:
        emulator = sandbox.emulator
        for prefix in PREFIXES:  # warm-up
            await emulator.autocomplete(cast.learner, "learn", "query", query=prefix)
        times = []
        for i in range(count):
            start = time.perf_counter()
            await emulator.autocomplete(
                cast.learner, "learn", "query", query=PREFIXES[i % len(PREFIXES)]
            )
            times.append(time.perf_counter() - start)
        baseline = await rest_baseline(emulator.api_base, emulator.token, count)
    print(f"autocomplete round trip through the emulator, {count} requests")
    for name, values in (("autocomplete", times), ("REST baseline", baseline)):
        print(
            f"  {name:<14} p50 {statistics.median(values) * 1000:6.2f} ms  "
            f"p95 {pct(values, 95) * 1000:6.2f} ms  p99 {pct(values, 99) * 1000:6.2f} ms"
        )
    print(f"  ratio p95 autocomplete / baseline: {pct(times, 95) / pct(baseline, 95):.1f}x")


def rss_of(pid: int) -> float:
    """Resident memory of a process in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def load(rates: list[int], seconds: float, members: int) -> None:
    """The bot in its own process; emulator and simulated members in this one."""
    cast = build_cast()
    people = [cast.world.add_member(f"learner{i}") for i in range(members)]
    emulator = DiscordEmulator(cast.world)
    await emulator.start()
    folder = tempfile.mkdtemp()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NEXUS_GUILD_ID": str(cast.world.guild_id),
        "NEXUS_ANNOUNCE_CHANNEL_ID": str(cast.announce.id),
        "NEXUS_MODERATOR_ROLE_IDS": str(cast.moderator_role.id),
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/bench.db",
        "NEXUS_CONTENT_DIR": str(ROOT / "content"),
        "NEXUS_LOG_LEVEL": "ERROR",
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "bot_process.py"),
        emulator.api_base,
        emulator.gateway_url,
        emulator.token,
        env=env,
    )
    try:
        await emulator.wait_until_ready(timeout=120)
        await asyncio.sleep(1)
        print(
            f"load: bot in its own process (pid {bot.pid}), {members} members, "
            f"/learn 60 % /help 20 % /deadlines 10 % /topics 10 %, {seconds:.0f} s per step;"
            f" bot RSS at start {rss_of(bot.pid):.0f} MB"
        )
        print(
            "  target/s  achieved/s  acked  late(>3s)  ack p50 ms  ack p99 ms  bot RSS MB",
            flush=True,
        )
        gc.disable()  # this process plays Discord: its own GC pauses must not count
        for rate in rates:
            gc.collect()
            records = []
            start = time.perf_counter()
            total = int(rate * seconds)
            for i in range(total):
                wait = start + i / rate - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                user = random.choice(people)
                kind = i % 10
                if kind < 6:
                    record = await emulator.slash(user, "learn", query=random.choice(QUERIES))
                elif kind < 8:
                    record = await emulator.slash(user, "help")
                elif kind < 9:
                    record = await emulator.slash(user, "deadlines")
                else:
                    record = await emulator.slash(user, "topics")
                records.append(record)
            sent_seconds = time.perf_counter() - start
            await asyncio.sleep(3.5)  # every interaction is answered or expired by now
            acks = [r.ack_seconds for r in records if r.ack_seconds is not None]
            late = sum(1 for r in records if r.ack_seconds is None or r.ack_seconds > 3)
            by_command: dict[str, list[float]] = {}
            for r in records:
                if r.ack_seconds is not None:
                    by_command.setdefault(r.payload["data"]["name"], []).append(r.ack_seconds)
            slowest = ", ".join(
                f"/{name} {pct(values, 99) * 1000:.0f}"
                for name, values in sorted(by_command.items())
            )
            rejected = [r.rejected for r in records if r.rejected]
            if rejected:
                print(f"  rejected by the emulator: {rejected[:3]}")
            print(
                f"  {rate:8d}  {total / sent_seconds:10.1f}  {len(acks):5d}  {late:9d}  "
                f"{statistics.median(acks) * 1000:10.1f}  {pct(acks, 99) * 1000:10.1f}  "
                f"{rss_of(bot.pid):10.0f}   p99 ms by command: {slowest}",
                flush=True,
            )
            await asyncio.sleep(1)
        baseline = await rest_baseline(emulator.api_base, emulator.token, 300)
        print(
            f"  REST baseline round trip p50 {statistics.median(baseline) * 1000:.2f} ms, "
            f"p99 {pct(baseline, 99) * 1000:.2f} ms"
        )
    finally:
        bot.terminate()
        await bot.wait()
        await emulator.stop()


async def acknowledged_in(sandbox: Any, user: Any, command: str, **options: str) -> float:
    """Seconds from sending a command to Discord's acknowledgement of it."""
    start = time.perf_counter()
    record = await sandbox.emulator.slash(user, command, **options)
    await record.wait_ack()
    elapsed = time.perf_counter() - start
    await record.wait_message()
    return elapsed


async def commands_meanwhile(
    sandbox: Any, count: int, busy: asyncio.Task[Any] | None
) -> list[float]:
    """Acknowledgement times of /pair join and /learn, 50 ms apart: `count` of them, or as
    many as fit while `busy` runs."""
    cast = sandbox.cast
    times = []
    number = 0
    while (number < count) if busy is None else not busy.done():
        number += 1
        if number % 2:
            times.append(await acknowledged_in(sandbox, cast.learner, "learn", query="docker"))
        else:
            times.append(
                await acknowledged_in(
                    sandbox, cast.learner, "pair join", role="frontend", timezone="Africa/Lagos"
                )
            )
        await asyncio.sleep(0.05)
    return times


async def round_load(frontend: int, backend: int, count: int) -> None:
    """Acknowledgements while a large round is written, next to a quiet baseline."""
    from bot.db.models import LearnerRow
    from bot.pairing.simulate import synthetic_pool

    cast = build_cast()
    async with running_sandbox(settings(), cast, guild_ready_timeout=0.05) as sandbox:
        learners, _, _ = synthetic_pool(frontend, backend, seed=1)
        async with sandbox.bot.database.session() as session:
            session.add_all(
                LearnerRow(
                    user_id=learner.id,
                    name=f"learner {learner.id}",
                    role=learner.role,
                    timezone=learner.timezone,
                    stack=list(learner.stack),
                    interests=list(learner.interests),
                )
                for learner in learners
            )
        baseline = await commands_meanwhile(sandbox, count, None)
        started = time.perf_counter()
        busy = asyncio.create_task(sandbox.bot.pairing.run_round())
        loaded = await commands_meanwhile(sandbox, count, busy)
        report = await busy
        seconds = time.perf_counter() - started
    groups = len(report.result.groups) if report is not None else 0
    print(
        f"acknowledgements while a {frontend} x {backend} round is matched and written "
        f"({groups} groups, {seconds:.1f} s; {len(loaded)} commands meanwhile)"
    )
    for name, values in (("during the round", loaded), ("quiet baseline", baseline)):
        print(
            f"  {name:<17} p50 {statistics.median(values) * 1000:7.1f} ms  "
            f"p99 {pct(values, 99) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms"
        )
    print(f"  ratio p99 during / baseline: {pct(loaded, 99) / pct(baseline, 99):.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="mode", required=True)
    ac = sub.add_parser("autocomplete")
    ac.add_argument("--count", type=int, default=500)
    ld = sub.add_parser("load")
    ld.add_argument("--rates", type=int, nargs="+", default=[100, 200, 300, 400])
    ld.add_argument("--seconds", type=float, default=10)
    ld.add_argument("--members", type=int, default=1000)
    rd = sub.add_parser("round")
    rd.add_argument("--frontend", type=int, default=1500)
    rd.add_argument("--backend", type=int, default=2000)
    rd.add_argument("--count", type=int, default=40)
    args = parser.parse_args()
    if args.mode == "autocomplete":
        asyncio.run(autocomplete(args.count))
    elif args.mode == "round":
        asyncio.run(round_load(args.frontend, args.backend, args.count))
    else:
        asyncio.run(load(args.rates, args.seconds, args.members))
