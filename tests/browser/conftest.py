"""The office's databases, as the sync tests make them."""

from tests.sync.conftest import ram_folder, sqlite_office  # noqa: F401
