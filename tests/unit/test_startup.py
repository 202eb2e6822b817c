"""Start-up imports what the bot needs to be ready, and leaves the rest to where it is used
(docs/benchmarks.md, *Start-up*: at most 1.5 s to ready and 130 MB after boot)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Used only by a pairing round (scipy), /pairing stats (matplotlib), the calendar feed
# (icalendar), a migration (alembic) or the optional semantic signal.
LATER = ("alembic", "icalendar", "matplotlib", "scipy", "sentence_transformers", "torch")

START = f"""
import importlib, sys
import bot.__main__, bot.runner
from bot.app import EXTENSIONS
for extension in EXTENSIONS:
    importlib.import_module(extension)
print(" ".join(name for name in {LATER!r} if name in sys.modules))
"""


def imported_in_a_fresh_interpreter(code: str) -> str:
    """What `code` prints, run by a new interpreter on this checkout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_entry_point_and_every_cog_import_nothing_heavy_used_later() -> None:
    assert imported_in_a_fresh_interpreter(START) == ""
