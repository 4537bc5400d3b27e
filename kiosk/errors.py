"""Errors that reach the person running the terminal, each with a message that says what to do."""


class StoreError(Exception):
    """The database cannot be opened or used; the message says which file and why. ``cause``:
    the driver's or the system's error, for naming the fault (``kiosk.storage``)."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause
