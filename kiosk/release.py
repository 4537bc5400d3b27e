"""The release this code is: the installed package's version, as `kiosk --version`, `kiosk status`,
the service screen and every heartbeat to the office report it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "meter-kiosk"


def package_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a bare checkout on sys.path, never installed
        return "unknown"
