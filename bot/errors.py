"""Errors whose message is meant for the person who caused them."""


def quoted(text: str, limit: int = 40) -> str:
    """A user's text as an inline code span for an error message (cannot break out of it)."""
    text = " ".join(text.replace("`", "'").split())
    return f"`{text if len(text) <= limit else text[: limit - 1] + '…'}`"


class UserError(Exception):
    """Bad input or a refused action; the message is shown to the user as is (escaped)."""


class DeliveryError(Exception):
    """Posting to Discord failed; `retryable` says whether trying again later can help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class MemberLeft(DeliveryError):
    """Discord does not know `user_id` as a member of the server any more (they left; the bot
    has no member events to tell it sooner)."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"member {user_id} left the server", retryable=False)
        self.user_id = user_id
