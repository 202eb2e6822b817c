"""Errors whose message is meant for the person who caused them."""


class UserError(Exception):
    """Bad input or a refused action; the message is shown to the user as is (escaped)."""
