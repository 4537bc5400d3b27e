"""Small real file systems for storage-fault tests: a tmpfs of a few megabytes that can be filled
to the last byte and remounted read-only, and ways to take away a process's rights.

Mounting needs root (or CAP_SYS_ADMIN); where it is not permitted the test is skipped, saying why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

# Rights a root process keeps even when a file says no; without them it is refused like anyone.
DAC_CAPABILITIES = "-dac_override,-dac_read_search"
NOBODY = 65534


class SmallDisk:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def remount(self, mode: str) -> None:
        """``ro`` or ``rw``: what the kernel does to a file system after I/O errors."""
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.folder)], check=True, capture_output=True)

    def fill(self, into: Path) -> None:
        """Write one file until the disk has not a byte left."""
        into.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(into, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            for size in (2**20, 4096, 1):  # big blocks, then the last partial ones
                with contextlib.suppress(OSError):
                    while os.write(descriptor, b"\0" * size) == size:
                        pass
        finally:
            os.close(descriptor)

    def free_bytes(self) -> int:
        stats = os.statvfs(self.folder)
        return stats.f_bavail * stats.f_frsize


def mount_refused() -> str | None:
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    if shutil.which("mount") is None:
        return "no mount command"
    return None


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "16m") -> Iterator[SmallDisk]:
    """A tmpfs of ``size`` at ``folder``, unmounted afterwards."""
    problem = mount_refused()
    if problem:
        pytest.skip(problem)
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield SmallDisk(folder)
    finally:
        for _attempt in range(50):  # a process just ended may still hold a file for a moment
            if subprocess.run(["umount", str(folder)], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def without_root_rights(command: list[str]) -> list[str]:
    """``command`` run as root but without the capabilities that let root ignore file rights."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to drop root's file rights")
    return [setpriv, f"--bounding-set={DAC_CAPABILITIES}", f"--inh-caps={DAC_CAPABILITIES}", *command]


@contextlib.contextmanager
def held_by_another_program(database: Path) -> Iterator[subprocess.Popen]:
    """Another process holding the database in SQLite's exclusive locking mode, as a sqlite3
    shell left in a transaction or a copying tool would; released when the block ends."""
    script = (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({str(database)!r}, isolation_level=None)\n"
        "c.execute('PRAGMA locking_mode = EXCLUSIVE')\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "c.execute('CREATE TABLE IF NOT EXISTS held_by_test (x)')\n"
        "print('held', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)


def damage(database: Path) -> None:
    """Garbage over the middle of a checkpointed database file, as a failing disk leaves it."""
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    with database.open("r+b") as stream:
        stream.seek(database.stat().st_size // 2)
        stream.write(b"\xde\xad\xbe\xef" * 4096)
