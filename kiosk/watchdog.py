"""Tell systemd that the touch screen is up and still answering: the sd_notify protocol, stdlib only.

systemd passes ``NOTIFY_SOCKET`` (a datagram socket; a leading ``@`` means Linux's abstract
namespace) and, when the unit has ``WatchdogSec=``, ``WATCHDOG_USEC`` and ``WATCHDOG_PID``. The
kiosk unit's main process is the compositor (cage) and the app is its child, so a ping is sent when
``WATCHDOG_PID`` is this process or its parent: the app started by cage, never a helper the app
starts in turn. The unit sets ``NotifyAccess=all`` so systemd accepts the child's messages.

The app calls :func:`ready` once its first screen shows, then :func:`alive` from a Kivy Clock
interval of :func:`interval` seconds on the UI thread: a frozen UI thread stops the pings and
systemd restarts the session. Outside systemd every call does nothing.
"""

from __future__ import annotations

import os
import socket
from typing import Mapping

__all__ = ["ready", "alive", "stopping", "interval", "notify"]


def notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send one notification such as ``READY=1``; False when there is no socket to send it to.

    A failed send is not an error for the kiosk: systemd restarts the service when the pings stop,
    which is the right outcome when the manager cannot be reached.
    """
    environ = os.environ if environ is None else environ
    address = environ.get("NOTIFY_SOCKET", "")
    if not address or address[0] not in "/@":
        return False  # unset, or a vsock address this client does not speak
    if address[0] == "@":
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode("utf-8"), address)
    except OSError:
        return False
    return True


def interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between pings (half the watchdog period, as systemd advises), or None when no
    watchdog watches this process."""
    environ = os.environ if environ is None else environ
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    pid = environ.get("WATCHDOG_PID", "")
    if pid and pid not in (str(os.getpid()), str(os.getppid())):
        return None  # the watchdog belongs to another process of the unit
    return usec / 2_000_000


def ready(environ: Mapping[str, str] | None = None) -> bool:
    """The app has started and shows its first screen (once)."""
    return notify("READY=1", environ)


def alive(environ: Mapping[str, str] | None = None) -> bool:
    """The UI thread still turns; call it every :func:`interval` seconds from that thread."""
    if interval(environ) is None:
        return False
    return notify("WATCHDOG=1", environ)


def stopping(environ: Mapping[str, str] | None = None) -> bool:
    """The app is closing on purpose: a slow shutdown is not a hang."""
    return notify("STOPPING=1", environ)
