"""Nonces for messages that must be posted once (sent with `enforce_nonce`).

Discord keeps an author's nonce for a few minutes in every channel: a repeat returns the
earlier message and posts nothing, wherever it was sent. So a nonce names one post to one
target: the kind of post, its row, the channel or member it goes to, and its text, so that a
row id reused by another database (restored from a backup, or fresh) with other text never
looks like an earlier post. At most 25 characters.
"""

from __future__ import annotations

import hashlib


def post_nonce(kind: str, row_id: int, target_id: int, text: str = "") -> str:
    """The nonce of post `kind` of row `row_id` to channel or member `target_id` saying
    `text`."""
    key = f"{kind}:{row_id}:{target_id}:{text}".encode()
    return "nx" + hashlib.blake2b(key, digest_size=10).hexdigest()
