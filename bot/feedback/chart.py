"""The chart of `/content stats`: each week's answer rate and helpful share, as a PNG.

matplotlib's object API (no pyplot: no global state, safe in a worker thread), imported when a
chart is drawn so that start-up does not pay for it.
"""

from __future__ import annotations

import io

from bot.feedback.stats import KnowledgeStats


def weekly_chart(stats: KnowledgeStats) -> bytes:
    """Two lines over the weeks (a week nobody asked or voted in is a gap in its line)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    figure = Figure(figsize=(7, 3.4), dpi=100)
    axes = figure.subplots()
    labels = [week.start.strftime("%d %b") for week in stats.weeks]
    x = list(range(len(labels)))  # positions, so that weeks without a figure keep their place
    rates = [week.answer_rate for week in stats.weeks]
    shares = [week.helpful_share for week in stats.weeks]
    axes.plot(
        x,
        [float("nan") if r is None else 100 * r for r in rates],
        marker="o",
        color="#3498db",
        label="questions answered with a confident entry",
    )
    axes.plot(
        x,
        [float("nan") if s is None else 100 * s for s in shares],
        marker="s",
        color="#2ecc71",
        label="votes that said Helpful",
    )
    axes.set_xticks(x, labels)
    axes.set_xlim(-0.5, len(x) - 0.5)
    axes.set_ylim(0, 105)
    axes.yaxis.set_major_formatter(PercentFormatter())
    axes.set_title("/learn, week by week (weeks start on Monday, UTC)")
    axes.tick_params(axis="x", labelsize="small", rotation=45)
    if not any(r is not None for r in rates):
        axes.text(0.5, 0.5, "no questions yet", ha="center", va="center", transform=axes.transAxes)
    axes.legend(
        fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=2, frameon=False
    )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
