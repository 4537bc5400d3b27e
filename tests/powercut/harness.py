"""Boot, write, cut, reboot, check: the power-cut loop of the test and of bench/power_cut.py.

Each round starts the terminal's writer on the LazyFS mount, lets it write for a random while,
then cuts the power: LazyFS writes back a random share of the dirty pages (none in half of the
cuts) and stops, the writer and the file system are killed with SIGKILL and the mount is
detached. The reboot mounts the backing directory again, which holds only what was durable, and
the shared checker compares the database with every write the writer had reported. Then
everything is made durable, as the kernel would while the terminal stands idle, for the next
round. The first round starts on an empty disk: the store's first start, not the test, has to
make the data directory and the database durable.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kiosk import config as config_module
from sync.directory_file import read_directory
from kiosk.store import Store
from tests.durability import Report, check
from tests.powercut.writer import LEVELS
from tests.support import directory_text

ROOT = Path(__file__).resolve().parents[2]
LAZYFS = Path(__file__).with_name("lazyfs.py")
BOOT_TIMEOUT_S = 15
WRITER_READY_TIMEOUT_S = 60


def missing() -> str | None:
    """Why a power cut cannot be staged on this machine, or None when it can."""
    if os.geteuid() != 0:
        return "mounting the power-cut test's FUSE file system needs root"
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse: load the fuse module (modprobe fuse) or give the container the device"
    if ctypes.util.find_library("fuse3") is None:
        return "libfuse 3 is missing: apt-get install fuse3"
    if importlib.util.find_spec("mfusepy") is None:
        return "mfusepy is missing: pip install -e '.[dev]'"
    if shutil.which("umount") is None:
        return "umount is missing: apt-get install mount"
    return None


class Disk:
    """The terminal's disk on LazyFS: boot mounts it, cut loses what was not durable."""

    def __init__(self, folder: Path) -> None:
        self.backing = folder / "backing"
        self.mountpoint = folder / "mnt"
        self.control = folder / "control.sock"
        self.log = folder / "lazyfs.log"
        self.backing.mkdir(parents=True, exist_ok=True)
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        self._process: subprocess.Popen[bytes] | None = None

    def boot(self) -> None:
        self.shutdown()  # a mount left over would answer "Transport endpoint is not connected"
        self.control.unlink(missing_ok=True)
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, str(LAZYFS), str(self.backing), str(self.mountpoint), str(self.control)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while not (self.mounted() and self.control.exists()):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"LazyFS did not mount {self.mountpoint}: {_tail(self.log)}")
            time.sleep(0.005)

    def mounted(self) -> bool:
        # Not os.path.ismount: on a dead FUSE mount its stat fails and it answers False.
        with open("/proc/self/mounts") as mounts:
            return any(line.split()[1] == str(self.mountpoint) for line in mounts)

    def command(self, line: str) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(30)
            connection.connect(str(self.control))
            connection.sendall(line.encode() + b"\n")
            with connection.makefile() as answer:
                return json.loads(answer.readline())

    def cut(self, fraction: float, seed: int, writer: subprocess.Popen[bytes]) -> dict[str, Any]:
        frozen = self.command(f"cut {fraction} {seed}")
        # The writer first: once the file system is gone, its blocked call fails and it could
        # still act on the error. It dies when the file system does (a FUSE request being
        # answered cannot be interrupted).
        writer.kill()
        self.shutdown()
        writer.wait()
        return frozen

    def shutdown(self) -> None:
        """Kill the file system and detach its mount; safe to call in any state."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None
        if self.mounted():
            # A lazy unmount: fusermount3 -u answers EBUSY while the dead mount is in use.
            subprocess.run(["umount", "-l", str(self.mountpoint)], check=True)


class Writer:
    """The terminal's writer as a child process, its reports drained by a thread."""

    def __init__(self, data_dir: Path, seed: int, synchronous: str, log: Path) -> None:
        with open(log, "wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.powercut.writer", str(data_dir), str(seed),
                 "--synchronous", synchronous],
                cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
        self.log = log
        self.reports: list[Report] = []
        self.ready: dict[str, Any] | None = None
        self._ready = threading.Event()
        self._drain = threading.Thread(target=self._read, name="writer-reports", daemon=True)
        self._drain.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if not line.endswith(b"\n"):
                break  # cut in half by the kill: never reported
            item = json.loads(line)
            if self.ready is None:
                self.ready = item
                self._ready.set()
            else:
                self.reports.append(item)
        self._ready.set()

    def wait_ready(self) -> dict[str, Any]:
        self._ready.wait(WRITER_READY_TIMEOUT_S)
        if self.ready is None:
            self.process.kill()
            raise RuntimeError(f"the writer did not open the store: {_tail(self.log)}")
        return self.ready

    def finish(self) -> list[Report]:
        self._drain.join()
        return self.reports


@dataclass
class Tally:
    synchronous: str
    cuts: int = 0
    reported: int = 0  # writes the writer reported committed
    lost: int = 0  # of those, missing or not whole after the reboot
    cuts_with_loss: int = 0
    malformed: int = 0  # cuts after which the database failed its integrity check or did not open
    inconsistent: int = 0  # cuts after which outbox or meters disagreed with the submissions
    unreported: int = 0  # writes committed but not reported: in flight at the cut
    dirty_pages_at_cut: int = 0
    pages_written_back_at_cut: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["problems"] = self.problems[:10]
        return document


def run(folder: Path, cuts: int, *, synchronous: str = "FULL", seed: int = 1,
        max_delay_s: float = 0.6) -> Tally:
    """``cuts`` power cuts, each after the writer wrote for up to ``max_delay_s``."""
    rng = random.Random(seed)
    tally = Tally(synchronous)
    disk = Disk(folder)
    data_dir = disk.mountpoint / "data"
    database = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(data_dir)}).database_path
    started = time.perf_counter()
    writer: Writer | None = None
    try:
        disk.boot()
        _fresh_store(database)  # left unsynced: a first start must make its own files durable
        reported: list[Report] = []
        unreported = 0
        for cut in range(cuts):
            writer = Writer(data_dir, cut % 100_000, synchronous, folder / "writer.log")
            ready = writer.wait_ready()
            if ready["synchronous"] != LEVELS[synchronous]:
                raise RuntimeError(f"the writer runs synchronous={ready['synchronous']}, not {synchronous}")
            time.sleep(rng.uniform(0.02, max_delay_s))
            if writer.process.poll() is not None:
                tally.problems.append(f"cut {cut}: the writer stopped by itself: {_tail(writer.log)}")
            fraction = 0.0 if rng.random() < 0.5 else rng.random()
            frozen = disk.cut(fraction, rng.randrange(2**32), writer.process)
            new = writer.finish()
            tally.cuts += 1
            tally.reported += len(new)
            tally.dirty_pages_at_cut += frozen["dirty_pages"]
            tally.pages_written_back_at_cut += frozen["pages_written"]
            reported += new

            disk.boot()  # the reboot
            verdict = check(database, reported)
            disk.command("sync")
            if verdict.damage is not None:
                tally.malformed += 1
                tally.problems.append(f"cut {cut}: {verdict}")
                # Nothing more can be learnt from a damaged database: start the next round anew.
                _fresh_store(database)
                reported, unreported = [], 0
            else:
                if verdict.lost:
                    tally.lost += len(verdict.lost)
                    tally.cuts_with_loss += 1
                    tally.problems.append(f"cut {cut}: {verdict}")
                    reported = [item for item in reported if item not in verdict.lost]
                if verdict.inconsistent:
                    tally.inconsistent += 1
                    tally.problems.append(f"cut {cut}: {verdict}")
                if verdict.unreported - unreported > 1:
                    tally.problems.append(f"cut {cut}: {verdict.unreported - unreported} writes committed "
                                          "that were never reported; at most the one in flight may be")
                tally.unreported += max(0, verdict.unreported - unreported)
                unreported = verdict.unreported
    finally:
        if writer is not None:
            writer.process.kill()
        disk.shutdown()
        if writer is not None:
            writer.process.wait()
        tally.seconds = round(time.perf_counter() - started, 2)
    return tally


def _fresh_store(database: Path) -> None:
    """A store with a small directory, made as the terminal's first start makes it."""
    for old in database.parent.glob(database.name + "*"):
        old.unlink()
    store = Store.open(database)
    try:
        store.directory.import_rows(read_directory(io.StringIO(directory_text(20))))
    finally:
        store.close()


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:].strip() or "(nothing logged)"
    except FileNotFoundError:
        return "(no log)"
