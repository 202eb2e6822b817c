"""The chart of `/pairing stats`: groups per round by check-in outcome, as a PNG.

matplotlib's object API (no pyplot: no global state, safe in a worker thread), imported when a
chart is drawn so that start-up does not pay for it.
"""

from __future__ import annotations

import io

from bot.pairing.service import CheckinOutcome, PairingStats

MAX_ROUNDS = 20  # the most recent rounds drawn
OUTCOMES = (  # the outcome (a field of `RoundOutcome`), label, colour
    (CheckinOutcome.COLLABORATING, "collaborating", "#2ecc71"),
    (CheckinOutcome.NEW_PARTNER, "needed a new partner", "#e67e22"),
    (CheckinOutcome.NO_ANSWER, "no answer", "#95a5a6"),
    (CheckinOutcome.WAITING, "check-in not due yet", "#d5dbdb"),
)


def rounds_chart(stats: PairingStats) -> bytes:
    """A stacked bar per round (rematches marked "r"), PNG bytes."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rounds = stats.rounds[-MAX_ROUNDS:]
    figure = Figure(figsize=(7, 3.6), dpi=100)
    axes = figure.subplots()
    labels = [f"{'r' if r.rematch else '#'}{r.round_id}" for r in rounds]
    bottom = [0] * len(rounds)
    for field, label, colour in OUTCOMES:
        heights = [getattr(r, field) for r in rounds]
        axes.bar(labels, heights, bottom=bottom, label=label, color=colour)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_title("Groups per pairing round, by check-in outcome")
    axes.set_ylabel("groups")
    locator = axes.yaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):  # a linear axis's AutoLocator
        locator.set_params(integer=True)
    if not rounds:
        axes.text(0.5, 0.5, "no rounds yet", ha="center", va="center", transform=axes.transAxes)
    axes.legend(
        fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=4, frameon=False
    )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
