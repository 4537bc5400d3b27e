"""Errors that reach the person running the terminal, each with a message that says what to do."""


class StoreError(Exception):
    """The database cannot be opened or used; the message says which file and why."""
