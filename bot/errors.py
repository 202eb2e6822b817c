"""Errors whose message is meant for the person who caused them."""


class UserError(Exception):
    """Bad input or a refused action; the message is shown to the user as is (escaped)."""


class DeliveryError(Exception):
    """Posting to Discord failed; `retryable` says whether trying again later can help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable
