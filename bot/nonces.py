"""Nonces for messages that must be posted once (sent with `enforce_nonce`).

Discord keeps an author's nonce for a few minutes in every channel: a repeat returns the
earlier message and posts nothing, wherever it was sent. So a nonce names one post to one
target: the kind of post, its row and the channel or member it goes to. At most 25 characters.
"""

from __future__ import annotations

import hashlib


def post_nonce(kind: str, row_id: int, target_id: int) -> str:
    """The nonce of post `kind` of row `row_id` to channel or member `target_id`."""
    key = f"{kind}:{row_id}:{target_id}".encode()
    return "nx" + hashlib.blake2b(key, digest_size=10).hexdigest()
