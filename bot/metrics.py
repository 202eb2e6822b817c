"""Prometheus metrics: interactions by command and outcome, latency, reminders, pairing rounds,
/learn answers, votes and gaps."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


class ServiceCollector(Collector):
    """Reads the services' own counters at scrape time (no double bookkeeping)."""

    def __init__(self, read: Callable[[], dict[str, Any]]) -> None:
        self.read = read

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        """Reminders by outcome, pairing rounds, and whether the scheduler runs."""
        values = self.read()
        reminders = CounterMetricFamily(
            "nexus_reminders", "Reminders by outcome", labels=["status"]
        )
        for status, count in values["reminders"].items():
            reminders.add_metric([status], count)
        yield reminders
        yield CounterMetricFamily(
            "nexus_pairing_rounds",
            "Pairing rounds run by this process",
            value=values["pairing_rounds"],
        )
        yield GaugeMetricFamily(
            "nexus_scheduler_running",
            "1 while reminders are scheduled",
            value=1 if values["scheduler_running"] else 0,
        )
        yield GaugeMetricFamily(
            "nexus_knowledge_entries", "Live knowledge entries", value=values["entries"]
        )
        answers = CounterMetricFamily(
            "nexus_learn_answers", "/learn replies and opened entries, by kind", labels=["kind"]
        )
        for kind, count in values["answers"].items():
            answers.add_metric([kind], count)
        yield answers
        votes = CounterMetricFamily("nexus_learn_votes", "Votes cast on answers", labels=["vote"])
        for vote, count in values["votes"].items():
            votes.add_metric([vote], count)
        yield votes
        yield CounterMetricFamily(
            "nexus_knowledge_gaps",
            "Questions counted into the gap inbox (nothing found, closest matches unopened, "
            "Not helpful)",
            value=values["gaps"],
        )


class Metrics:
    """One registry per bot (tests run several bots in one process)."""

    def __init__(self, read_services: Callable[[], dict[str, Any]]) -> None:
        self.registry = CollectorRegistry()
        self.interactions = Counter(
            "nexus_interactions",
            "Interactions by command and outcome",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "nexus_interaction_seconds",
            "Time from receiving an interaction to finishing its handler",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(ServiceCollector(read_services))

    def zero(self, command: str, outcomes: Iterable[str]) -> None:
        """Create the command's series at zero, so they show before its first use."""
        for outcome in outcomes:
            self.interactions.labels(command, outcome)
        self.latency.labels(command)

    def observe(self, command: str, outcome: str, seconds: float) -> None:
        """Count one finished interaction."""
        self.interactions.labels(command, outcome).inc()
        self.latency.labels(command).observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text format."""
        return generate_latest(self.registry)
