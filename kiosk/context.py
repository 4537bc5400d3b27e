"""What a command needs, made on first use: the configuration and the open store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk import config as config_module

if TYPE_CHECKING:
    from kiosk.store import Store


class Context:
    def __init__(self, config_path: str | None = None) -> None:
        self._config_path = config_path
        self._config: config_module.Config | None = None
        self._store: Store | None = None

    @property
    def config(self) -> config_module.Config:
        if self._config is None:
            self._config = config_module.load(self._config_path)
        return self._config

    @property
    def loaded_config(self) -> config_module.Config | None:
        """The configuration if it was loaded (a failure report must not load it anew)."""
        return self._config

    def use_config(self, config: config_module.Config) -> None:
        """Run with this configuration instead of the file's (the demo's own data folder)."""
        self.close()
        self._config = config

    def store(self, *, migrate: bool = True) -> Store:
        """The terminal's database, migrated to the newest schema unless told otherwise."""
        if self._store is None:
            from kiosk.store import Store  # commands that need no database skip SQLAlchemy

            self._store = Store.open(self.config.database_path, migrate=migrate)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
