"""The office's databases and the terminal's store, as the sync tests make them."""

from tests.sync.conftest import kiosk_store, ram_folder, sqlite_office  # noqa: F401
