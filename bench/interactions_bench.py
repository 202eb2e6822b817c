"""Interactions through the emulator: autocomplete round trip, sustained load, start-up.

    python bench/interactions_bench.py autocomplete [--count 500]
    python bench/interactions_bench.py load [--bot nexus|bare] [--rates 100 200 300 400]
    python bench/interactions_bench.py capacity [--bots nexus bare] [--repeats 3] [--p99 250]
    python bench/interactions_bench.py startup [--bots nexus bare] [--repeats 3]
    python bench/interactions_bench.py round [--frontend 1500] [--backend 2000] [--count 40]

Autocomplete: the real bot and the emulator in this one process. Round: in this one process too,
how fast `/pair join` and `/learn` are acknowledged while a large pairing round is matched and
written to SQLite, against the same commands with nothing else going on (the baseline).
Load: the bot runs in its own process (as against real Discord) while this process plays
Discord and the members (with its garbage collector paused during a step, so its own pauses
are not blamed on the bot).
Baseline in the same run: a plain REST round trip to the emulator (`GET /users/@me`), i.e.
what loopback HTTP + JSON cost without the bot.
Capacity: for each bot (Nexus, and `bench/bare_bot.py`, a bare discord.py bot answering the
same commands with a fixed message), the highest rate whose p99 acknowledgement is within the
limit, then p99 at twice that rate; the bots take turns, and the medians are reported.
Start-up: from starting a bot's process until it answers its first command, and its memory.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.config import Settings
from bot.sandbox.cast import Cast, build_cast
from bot.sandbox.session import running_sandbox
from emulator.server import DiscordEmulator, NoResponse

ROOT = Path(__file__).resolve().parents[1]
BOTS = {"nexus": ROOT / "bench" / "bot_process.py", "bare": ROOT / "bench" / "bare_bot.py"}
LATE = "acknowledged after the 3-second deadline"  # what the emulator notes of a late reply
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


def cpu_seconds_of(pid: int) -> float:
    """CPU time a process has used so far, user and system (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_of(pid: int) -> float:
    """Resident memory of a process in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Step:
    """One step of open-loop load at a fixed rate, and how the bot acknowledged it."""

    rate: int
    achieved: float
    acks: list[float]  # seconds; inf for an interaction never acknowledged in time
    by_command: dict[str, list[float]]
    refused: int  # answered "Slow down" by the per-member cooldown instead of doing the work
    rejected: list[str]  # anything else the emulator refused
    rss: float
    recovery: float  # seconds from the last command until the bot answers at once again
    cpu_ms: float  # the bot's CPU time per command, whatever the machine's other work

    @property
    def late(self) -> int:
        """Interactions not acknowledged within Discord's 3 seconds."""
        return sum(1 for a in self.acks if a > 3)

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.acks) * 1000

    @property
    def p99_ms(self) -> float:
        return pct(self.acks, 99) * 1000

    def within(self, limit_ms: float) -> bool:
        """p99 within `limit_ms`, at (nearly) the rate asked for."""
        return self.p99_ms <= limit_ms and self.achieved >= 0.95 * self.rate

    def row(self) -> str:
        slowest = ", ".join(
            f"/{name} {pct(values, 99) * 1000:.0f}"
            for name, values in sorted(self.by_command.items())
        )
        return (
            f"  {self.rate:8d}  {self.achieved:10.1f}  {len(self.acks) - self.late:5d}  "
            f"{self.late:9d}  {self.refused:7d}  {self.p50_ms:10.1f}  {ms(self.p99_ms):>10}  "
            f"{self.rss:10.0f}  {self.recovery:9.1f}  {self.cpu_ms:10.2f}"
            f"   p99 ms by command: {slowest}"
        )


STEP_HEADER = (
    "  target/s  achieved/s  acked  late(>3s)  refused  ack p50 ms  ack p99 ms  bot RSS MB"
    "  idle in s  CPU ms/cmd"
)


def ms(value: float) -> str:
    """A latency in ms for a table; beyond Discord's deadline, '> 3000'."""
    return "> 3000" if value > 3000 else f"{value:.1f}"


class LoadRun:
    """One bot (`nexus` or `bare`) in its own process, logged in to an emulator in this one,
    and `members` simulated members sending it commands."""

    def __init__(self, kind: str, members: int) -> None:
        self.kind = kind
        self.cast = build_cast()
        self.people = [self.cast.world.add_member(f"learner{i}") for i in range(members)]
        self.probe = self.cast.world.add_member("probe")
        self.database = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
        self.emulator = DiscordEmulator(self.cast.world)
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> float:
        """Start an emulator, then the bot; seconds from starting the bot's process until it
        answered its first command (logged in, commands synced, /help acknowledged)."""
        self.emulator = DiscordEmulator(self.cast.world)  # a new one knows no earlier login
        await self.emulator.start()
        started = time.perf_counter()
        self.process = await start_bot(self.kind, self.emulator, self.cast, self.database)
        await self.emulator.wait_until_ready(timeout=120)
        record = await self.emulator.slash(self.probe, "help")
        await record.wait_ack()
        return time.perf_counter() - started

    async def stop(self) -> None:
        """Stop the bot (SIGTERM, as a deployment would) and the emulator."""
        if self.process is not None:
            self.process.terminate()
            await self.process.wait()
            self.process = None
        await self.emulator.stop()

    @property
    def rss(self) -> float:
        """The bot process's resident memory in MB."""
        assert self.process is not None
        return rss_of(self.process.pid)

    async def step(self, rate: int, seconds: float) -> Step:
        """Send `rate` commands a second for `seconds` (open loop: on schedule, whatever the
        bot answers), then wait until every one is answered or expired and the bot is idle."""
        gc.collect()
        gc.disable()  # this process plays Discord: its own GC pauses must not count
        assert self.process is not None
        cpu = cpu_seconds_of(self.process.pid)
        try:
            records = []
            start = time.perf_counter()
            total = int(rate * seconds)
            for i in range(total):
                wait = start + i / rate - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                user = random.choice(self.people)
                kind = i % 10
                if kind < 6:
                    record = await self.emulator.slash(user, "learn", query=random.choice(QUERIES))
                elif kind < 8:
                    record = await self.emulator.slash(user, "help")
                elif kind < 9:
                    record = await self.emulator.slash(user, "deadlines")
                else:
                    record = await self.emulator.slash(user, "topics")
                records.append(record)
            sent_seconds = time.perf_counter() - start
            recovery = await self.until_idle()
            cpu = cpu_seconds_of(self.process.pid) - cpu
            # Every interaction is answered or expired 3.5 s after the last one was sent.
            await asyncio.sleep(max(0, 3.5 - recovery))
        finally:
            gc.enable()
        acks = [math.inf if r.ack_seconds is None else r.ack_seconds for r in records]
        by_command: dict[str, list[float]] = {}
        for r, ack in zip(records, acks, strict=True):
            by_command.setdefault(r.payload["data"]["name"], []).append(ack)
        step = Step(
            rate=rate,
            achieved=total / sent_seconds,
            acks=acks,
            by_command=by_command,
            refused=sum(
                1 for r in records if r.original and r.original.content.startswith("Slow down")
            ),
            rejected=[p for r in records for p in r.rejected if p != LATE],
            rss=self.rss,
            recovery=recovery,
            cpu_ms=cpu * 1000 / total,
        )
        return step

    async def until_idle(self, timeout: float = 120) -> float:
        """Seconds until the bot answers a /help at once again (within 50 ms): an overloaded
        step leaves a backlog; the bot is idle again when it has worked it off or dropped it."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            record = await self.emulator.slash(self.probe, "help")
            try:
                await record.wait_ack()
            except NoResponse:
                continue
            if record.ack_seconds is not None and record.ack_seconds < 0.05:
                break
            await asyncio.sleep(0.1)
        return time.perf_counter() - start


async def start_bot(
    kind: str, emulator: DiscordEmulator, cast: Cast, database: str
) -> asyncio.subprocess.Process:
    """Start `bench/bot_process.py` (Nexus, as `python -m bot run` runs it) or
    `bench/bare_bot.py` against `emulator`."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NEXUS_GUILD_ID": str(cast.world.guild_id),
        "NEXUS_ANNOUNCE_CHANNEL_ID": str(cast.announce.id),
        "NEXUS_MODERATOR_ROLE_IDS": str(cast.moderator_role.id),
        "DATABASE_URL": database,
        "NEXUS_CONTENT_DIR": str(ROOT / "content"),
        "NEXUS_LOG_LEVEL": os.environ.get("NEXUS_LOG_LEVEL", "ERROR"),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(BOTS[kind]),
        emulator.api_base,
        emulator.gateway_url,
        emulator.token,
        env=env,
    )


async def load(kind: str, rates: list[int], seconds: float, members: int) -> None:
    """The bot in its own process; emulator and simulated members in this one."""
    run = LoadRun(kind, members)
    await run.start()
    try:
        await asyncio.sleep(1)
        print(
            f"load: {kind} bot in its own process, {members} members, "
            f"/learn 60 % /help 20 % /deadlines 10 % /topics 10 %, {seconds:.0f} s per step;"
            f" bot RSS at start {run.rss:.0f} MB"
        )
        print(STEP_HEADER, flush=True)
        for rate in rates:
            step = await run.step(rate, seconds)
            if step.rejected:
                print(f"  rejected by the emulator: {step.rejected[:3]}")
            print(step.row(), flush=True)
        baseline = await rest_baseline(run.emulator.api_base, run.emulator.token, 300)
        print(
            f"  REST baseline round trip p50 {statistics.median(baseline) * 1000:.2f} ms, "
            f"p99 {pct(baseline, 99) * 1000:.2f} ms"
        )
    finally:
        await run.stop()


async def highest_rate(run: LoadRun, first: int, limit_ms: float, seconds: float) -> int:
    """The highest rate (to 10 %, in tens) whose p99 acknowledgement is within `limit_ms`:
    double from `first` until a step misses, then bisect."""
    passed, failed, rate = 0, 0, first
    while not failed:
        step = await run.step(rate, seconds)
        print(step.row(), flush=True)
        passed, failed, rate = (rate, 0, rate * 2) if step.within(limit_ms) else (passed, rate, 0)
    while failed - passed > max(20, passed // 10):
        rate = (passed + failed) // 20 * 10
        step = await run.step(rate, seconds)
        print(step.row(), flush=True)
        passed, failed = (rate, failed) if step.within(limit_ms) else (passed, rate)
    return passed


async def capacity(
    kinds: list[str], repeats: int, seconds: float, members: int, first: int, limit_ms: float
) -> None:
    """For each bot, the highest rate with p99 within `limit_ms` and p99 at twice that rate;
    the bots take turns, `repeats` times; medians at the end."""
    found: dict[str, list[tuple[int, float, float, float]]] = {kind: [] for kind in kinds}
    for repeat in range(1, repeats + 1):
        for kind in kinds:
            run = LoadRun(kind, members)
            await run.start()
            try:
                await asyncio.sleep(1)
                print(f"{kind}, run {repeat}: {members} members, {seconds:.0f} s per step")
                print(STEP_HEADER, flush=True)
                best = await highest_rate(run, first, limit_ms, seconds)
                double = await run.step(2 * best, seconds)
                print(double.row(), "(twice the highest)", flush=True)
                found[kind].append((best, double.p99_ms, double.late / len(double.acks), run.rss))
            finally:
                await run.stop()
    print(f"\nmedian of {repeats} (each bot's runs: highest rate / p99 at twice it)")
    print(f"  bot    highest rate p99 <= {limit_ms:.0f} ms   p99 at twice   late at twice   RSS MB")
    for kind, runs in found.items():
        best, p99, late, rss = (statistics.median(column) for column in zip(*runs, strict=True))
        each = "; ".join(f"{b}/s {ms(p)}" for b, p, _, _ in runs)
        print(
            f"  {kind:<6} {best:>20.0f}/s   {ms(p99):>12}   {late:>12.1%}   {rss:6.0f}   ({each})"
        )


async def startup(kinds: list[str], repeats: int) -> None:
    """Seconds from starting each bot's process until it answers its first command, and its
    resident memory a second later; Nexus on an existing database (an untimed first start
    creates it)."""
    runs = {kind: LoadRun(kind, members=0) for kind in kinds}
    timings: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    for repeat in range(repeats + 1):
        for kind, run in runs.items():
            try:
                seconds = await run.start()
                await asyncio.sleep(1)
                if repeat:  # the first start creates the database and warms the file cache
                    timings[kind].append((seconds, run.rss))
            finally:
                await run.stop()
    print(f"start-up to the first answered command, and RSS 1 s later (median of {repeats})")
    for kind, values in timings.items():
        seconds, rss = (statistics.median(column) for column in zip(*values, strict=True))
        each = ", ".join(f"{s:.2f} s {r:.0f} MB" for s, r in values)
        print(f"  {kind:<6} {seconds:5.2f} s  {rss:4.0f} MB   ({each})")


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
    ld.add_argument("--bot", choices=sorted(BOTS), default="nexus")
    ld.add_argument("--rates", type=int, nargs="+", default=[100, 200, 300, 400])
    ld.add_argument("--seconds", type=float, default=10)
    ld.add_argument("--members", type=int, default=1000)
    cp = sub.add_parser("capacity")
    cp.add_argument("--bots", choices=sorted(BOTS), nargs="+", default=["nexus", "bare"])
    cp.add_argument("--repeats", type=int, default=3)
    cp.add_argument("--seconds", type=float, default=10)
    cp.add_argument("--members", type=int, default=10000)
    cp.add_argument("--first", type=int, default=200, help="the first rate tried")
    cp.add_argument("--p99", type=float, default=250, help="the p99 limit in ms")
    su = sub.add_parser("startup")
    su.add_argument("--bots", choices=sorted(BOTS), nargs="+", default=["nexus", "bare"])
    su.add_argument("--repeats", type=int, default=3)
    rd = sub.add_parser("round")
    rd.add_argument("--frontend", type=int, default=1500)
    rd.add_argument("--backend", type=int, default=2000)
    rd.add_argument("--count", type=int, default=40)
    args = parser.parse_args()
    if args.mode == "autocomplete":
        asyncio.run(autocomplete(args.count))
    elif args.mode == "round":
        asyncio.run(round_load(args.frontend, args.backend, args.count))
    elif args.mode == "capacity":
        asyncio.run(
            capacity(args.bots, args.repeats, args.seconds, args.members, args.first, args.p99)
        )
    elif args.mode == "startup":
        asyncio.run(startup(args.bots, args.repeats))
    else:
        asyncio.run(load(args.bot, args.rates, args.seconds, args.members))
