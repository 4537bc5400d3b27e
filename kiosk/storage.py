"""What is wrong with the terminal's storage, named for what it is.

A full disk, a file system the kernel remounted read-only, a folder the running user may not
write, a database held by another program and a really damaged database all make SQLite fail,
often in the same words ("disk I/O error", "unable to open database file"). Each needs a
different fix, and only the last needs a backup: naming them apart keeps a technician from
restoring an old backup over a healthy database. ``diagnose`` looks at the file system first
(the read-only flag, access rights, free bytes), then at what SQLite itself says; ``explain``
names a failure a command met, the same way.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kiosk.i18n import N_, Phrase

Fault = Literal["missing", "read_only", "permission", "locked", "full", "damaged", "unreadable"]
# Faults under which no read of the database can be trusted to answer (a full or read-only disk
# still reads).
UNREADABLE: tuple[Fault, ...] = ("missing", "locked", "damaged", "unreadable")

# SQLite needs room to grow its write-ahead log and shared-memory file before a commit; with
# less free than this a write fails, so the disk is full for the terminal's purposes.
FULL_BYTES = 2 * 2**20
# The storage check waits this long for another program's lock, not the store's 5 s: a locked
# database is itself the finding, and `kiosk status` must answer quickly.
LOCK_WAIT_S = 1.0
# Where the systemd journal keeps the logs; counted only when it is on the data folder's disk.
JOURNAL = Path("/var/log/journal")

# What can fill the data folder's disk, in the order a technician would look.
_USAGE_WORDS = {
    "database": N_("the database"),
    "wal": N_("the database's write-ahead log"),
    "backups": N_("backups"),
    "slips": N_("printed slips"),
    "logs": N_("logs"),
    "other": N_("other files"),
}

_LOCKED = ("SQLITE_BUSY", "SQLITE_LOCKED")
_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_NO_ACCESS = ("SQLITE_PERM", "SQLITE_AUTH", "SQLITE_READONLY", "SQLITE_CANTOPEN")


@dataclass(frozen=True)
class Disk:
    """The data folder's file system: free bytes, read-only or not, and what takes the space."""

    free_bytes: int
    read_only: bool
    usage: dict[str, int] = field(default_factory=dict)  # keys of _USAGE_WORDS, bytes

    def biggest(self) -> tuple[str, int] | None:
        """The kind of files taking most space, by name and bytes."""
        if not self.usage:
            return None
        name = max(self.usage, key=self.usage.__getitem__)
        return (name, self.usage[name]) if self.usage[name] > 0 else None


@dataclass(frozen=True)
class Diagnosis:
    fault: Fault | None  # None: the database reads and the disk takes writes
    phrase: Phrase | None  # what is wrong and what to do; None when no fault
    disk: Disk | None  # None when the data folder cannot even be looked at
    error: str | None = None  # SQLite's or the system's words, for the facts and the log
    integrity: list[str] | None = None  # quick_check's answer when it could run


def look_at_disk(data_dir: Path, database: Path) -> Disk:
    folder = _nearest_existing(data_dir)
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    read_only = bool(stats.f_flag & os.ST_RDONLY)
    return Disk(free, read_only, _usage(data_dir, database, stats))


def diagnose(data_dir: Path, database: Path) -> Diagnosis:
    """The storage's state: the file system's, then the database's by SQLite's quick check on a
    connection of its own."""
    try:
        disk = look_at_disk(data_dir, database)
    except OSError as exc:
        return Diagnosis("unreadable", Phrase(N_("data folder not usable: {error}"), {"error": exc.strerror}),
                         None, exc.strerror)
    if not database.exists():
        return Diagnosis("missing", Phrase(N_("no database at {path}: readings cannot be stored"),
                                           {"path": str(database)}), disk)
    fault = _file_system_fault(disk, database)
    if fault is not None:
        return Diagnosis(fault, describe(fault, disk, database), disk)
    try:
        problems = _quick_check(database)
    except sqlite3.Error as exc:
        fault = classify(exc, disk, database)
        return Diagnosis(fault, describe(fault, disk, database, exc), disk, one_line(exc))
    if problems != ["ok"]:
        return Diagnosis("damaged", describe("damaged", disk, database), disk, problems[0][:200], problems[:5])
    if disk.free_bytes < FULL_BYTES:
        return Diagnosis("full", describe("full", disk, database), disk, integrity=problems)
    return Diagnosis(None, None, disk, integrity=problems)


def explain(exc: BaseException, data_dir: Path, database: Path) -> tuple[Fault, Phrase]:
    """A failure met while using the database, named as ``diagnose`` would name it."""
    try:
        disk: Disk | None = look_at_disk(data_dir, database)
    except OSError:
        disk = None
    fault = _file_system_fault(disk, database) if disk is not None else None
    if fault is None:
        fault = classify(exc, disk, database)
    return fault, describe(fault, disk, database, exc)


def classify(exc: BaseException, disk: Disk | None, database: Path) -> Fault:
    """What an error from SQLite (or the system under it) means, with the disk's facts."""
    name = _sqlite_name(exc)
    errno = getattr(exc, "errno", None)
    if disk is not None and disk.read_only:
        return "read_only"
    if name.startswith(_LOCKED):
        return "locked"
    if name.startswith(_DAMAGED):
        return "damaged"
    if name.startswith("SQLITE_FULL") or errno == 28 or (disk is not None and disk.free_bytes < FULL_BYTES):
        return "full"  # a full disk often shows as a disk I/O error on the -shm file
    if name.startswith(_NO_ACCESS) and not _writable(database):
        return "permission"
    if errno in (1, 13):  # EPERM, EACCES
        return "permission"
    if errno == 30:  # EROFS
        return "read_only"
    return "unreadable"


def describe(fault: Fault, disk: Disk | None, database: Path, exc: BaseException | None = None) -> Phrase:
    """The words for a fault: what is wrong and what to do. Only real damage says "damaged"."""
    if fault == "missing":
        return Phrase(N_("no database at {path}: readings cannot be stored"), {"path": str(database)})
    if fault == "read_only":
        return Phrase(N_("the disk is read-only (the system stopped writes to it, often after disk errors): readings "
                         "cannot be stored; the database itself is intact. Check the disk, then restart the terminal"))
    if fault == "permission":
        return Phrase(N_("permission denied: user {user} may not write {path}. Run as the user that owns the "
                         "data folder (kiosk), or give that user the folder back"),
                      {"user": _user(), "path": str(database.parent)})
    if fault == "locked":
        return Phrase(N_("database locked by another program (a copy or a sqlite3 shell left open?): close it; "
                         "the database itself is intact"))
    if fault == "full":
        return full_disk(disk, N_("disk full: {free} free, most taken by {what} ({size}): delete old files there, "
                                  "never the database, and readings are stored again"))
    if fault == "damaged":
        return Phrase(N_("database damaged: readings cannot be stored. Take the terminal out of service and "
                         "restore the last backup"))
    # Not "damaged": a check that cannot run has not found damage.
    return Phrase(N_("the database cannot be read ({error}): run the full check on the storage page"),
                  {"error": one_line(exc) if exc is not None else "?"})


def full_disk(disk: Disk | None, template: str) -> Phrase:
    """A disk with little room, saying what takes it; ``template`` has {free}, {what} and {size}."""
    free = megabytes(disk.free_bytes if disk else 0)
    biggest = disk.biggest() if disk else None
    if biggest is None:
        biggest = ("other", 0)
    what, size = biggest
    return Phrase(template, {"free": free, "what": Phrase(_USAGE_WORDS[what]), "size": megabytes(size)})


def usage_word(kind: str, language: str) -> str:
    """"backups", "the database", ...: a kind of files in ``Disk.usage``, in words."""
    return Phrase(_USAGE_WORDS.get(kind, kind)).text(language)


def megabytes(size: int) -> Phrase:
    megs = size / 2**20
    return Phrase(N_("{n} MB"), {"n": f"{megs:.1f}" if megs < 10 else f"{megs:.0f}"})


def one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    return text.splitlines()[0][:200] if text.strip() else type(exc).__name__


def _quick_check(database: Path) -> list[str]:
    """SQLite's quick check on a connection of its own: the store's engine would first wait
    out its long busy timeout, and would create a file that is not there."""
    connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=rw", uri=True, timeout=LOCK_WAIT_S,
                                 isolation_level=None)
    try:
        return [str(row[0]) for row in connection.execute("PRAGMA quick_check").fetchall()]
    finally:
        connection.close()


# --- the file system ---------------------------------------------------------------------

def _file_system_fault(disk: Disk, database: Path) -> Fault | None:
    if disk.read_only:
        return "read_only"
    if not _writable(database):
        return "permission"
    return None


def _writable(database: Path) -> bool:
    """The database, and its folder (SQLite creates the -wal and -shm files there), can be
    written by this process."""
    folder = database.parent
    if database.exists() and not os.access(database, os.R_OK | os.W_OK):
        return False
    return not folder.exists() or os.access(folder, os.W_OK | os.X_OK)


def _usage(data_dir: Path, database: Path, stats: os.statvfs_result) -> dict[str, int]:
    usage = {
        "database": file_size(database),
        "wal": file_size(Path(f"{database}-wal")) + file_size(Path(f"{database}-shm")),
        "backups": _tree_size(data_dir / "backups"),
        "slips": _tree_size(data_dir / "slips"),
        "logs": _tree_size(JOURNAL) if _same_disk(JOURNAL, data_dir) else 0,
    }
    used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
    usage["other"] = max(0, used - sum(usage.values()))
    return usage


def _same_disk(path: Path, other: Path) -> bool:
    try:
        return path.stat().st_dev == _nearest_existing(other).stat().st_dev
    except OSError:
        return False


def _tree_size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder, onerror=lambda _error: None):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


def file_size(path: Path) -> int:
    """The file's size, or 0 when it is missing or cannot be read."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _nearest_existing(folder: Path) -> Path:
    """The folder, or the ancestor the app would create it in: the disk it will be on."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder


def _sqlite_name(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(getattr(orig, "sqlite_errorname", "") or "")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
