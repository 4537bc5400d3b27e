"""Shared by the touch-screen benchmarks: a display, the terminal's surroundings, and the hook
into a real ``kiosk run`` in a child process.

The kiosk measured is the one a terminal runs: ``kiosk.cli.main(["run"])`` with its
configuration from the environment, its real printer and scanner drivers on pseudo-terminals and
its real uploader. Only what surrounds a terminal in the field (the printer, the scanner, the
central office) is stood in for, in the benchmark's own process, so the child's memory and time
are the kiosk's alone. One Kivy App per process: every run is a child process.

Module-level imports stay light: the child imports this module before anything it measures.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCREEN = (1920, 1080)  # the common kiosk panel; `kiosk run` goes full screen on it
# --quick: a software renderer rasterises a 1024x768 frame in about a third of the time, and the
# ratios to the bare Kivy app hold at any size, since it runs at the same one.
QUICK_SCREEN = (1024, 768)
TERMINAL_ID = "bench-1"
DIRECTORY_ROWS = 1000
STARTED_ENV = "KIOSK_BENCH_STARTED"  # a file the child creates once the kiosk's app exists


def machine() -> dict[str, Any]:
    """What the figures depend on besides the code."""
    import platform

    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "display": "DISPLAY" if os.environ.get("DISPLAY") else "Xvfb"}


# -- the parent: display, surroundings, child processes ------------------------------------------

def add_size_argument(parser: Any) -> None:
    def size(text: str) -> tuple[int, int]:
        width, _, height = text.lower().partition("x")
        if not (width.isdigit() and height.isdigit()):
            raise ValueError(text)
        return int(width), int(height)

    parser.add_argument("--size", type=size, default=None, metavar="WxH",
                        help=f"the screen (default {SCREEN[0]}x{SCREEN[1]}; with --quick "
                             f"{QUICK_SCREEN[0]}x{QUICK_SCREEN[1]})")


def screen_size(args: Any) -> tuple[int, int]:
    """The screen a run uses: --size, else the quick one for --quick, else the kiosk panel's."""
    if args.size is not None:
        return args.size
    return QUICK_SCREEN if getattr(args, "quick", False) else SCREEN


@contextlib.contextmanager
def display(size: tuple[int, int] = SCREEN) -> Iterator[str]:
    """The display to show the kiosk on: $DISPLAY if set, else a private Xvfb of ``size``."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if shutil.which("Xvfb") is None:
        raise SystemExit("no DISPLAY and no Xvfb: install the xvfb package (Debian: apt-get install xvfb)")
    read, write = os.pipe()
    # -displayfd: the server picks a free display number and writes it here once it listens.
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size[0]}x{size[1]}x24",
                               "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as stream:
        number = stream.readline().strip()
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


@dataclass
class Site:
    """A terminal's surroundings: ``environ`` configures a kiosk in a child process to use them."""

    folder: Path
    environ: dict[str, str]
    printer: Any  # devices.emulators.PrinterEmulator
    scanner_control: Path  # the scanner emulator's control socket: `kiosk scanner emit` talks to it
    office_db: Path

    def counts(self) -> dict[str, int]:
        """Submissions the terminal stored, and those the office has received by now."""
        import sqlite3

        found = {}
        for name, path, table in (("stored", self.folder / "terminal" / "kiosk.sqlite3", "submissions"),
                                  ("at_office", self.office_db, "office_submissions")):
            with contextlib.closing(sqlite3.connect(path)) as db:
                found[name] = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return found


@contextlib.contextmanager
def terminal_site(folder: Path, rows: int = DIRECTORY_ROWS) -> Iterator[Site]:
    """Emulated printer and scanner and a local office holding the demo directory, as `kiosk
    demo` builds them; the terminal's own database is filled from the office the way a new
    terminal's first pull does, so the kiosk starts on a directory it already has."""
    from devices.emulators import PrinterEmulator, ScannerEmulator
    from kiosk import config as config_module
    from kiosk.demo import demo_office
    from kiosk.store import Store
    from sync.client import OfficeClient, OfficeSettings
    from sync.directory_pull import DirectoryPuller
    from sync.office.local import LocalOffice

    folder.mkdir(parents=True, exist_ok=True)
    office_db = folder / "office.sqlite3"
    engine, secret = demo_office(folder, rows, TERMINAL_ID)
    with (LocalOffice(engine) as office,
          PrinterEmulator("epson", out=folder / "slips", directory=folder / "printer") as printer,
          ScannerEmulator(folder / "scanner") as scanner):
        environ = {
            "KIOSK_TERMINAL_DATA_DIR": str(folder / "terminal"),
            "KIOSK_TERMINAL_ID": TERMINAL_ID,
            "KIOSK_TERMINAL_ADDRESS": "г. Москва, ул. Демонстрационная, д. 1",
            "KIOSK_PRINTER_PORT": str(printer.link),
            "KIOSK_SCANNER_PORT": str(scanner.link),
            "KIOSK_OFFICE_URL": office.url,
            "KIOSK_OFFICE_SECRET": secret,
        }
        config = config_module.load(None, environ)
        Path(config.terminal.data_dir).mkdir(parents=True, exist_ok=True)
        store = Store.open(config.database_path)
        client = OfficeClient(OfficeSettings.from_config(config))
        try:
            DirectoryPuller(store.directory, client).pull()
        finally:
            client.close()
            store.close()
        yield Site(folder, environ, printer, scanner.control_path, office_db)
    engine.dispose()


def run_child(script: Path, args: Sequence[str], display_name: str, site: Site, kivy_home: Path, timeout: float,
              size: tuple[int, int] = SCREEN, start_timeout: float = 60) -> tuple[dict[str, Any], float]:
    """Run ``script --child OUT *args`` as a kiosk process; its JSON from OUT, and the wall-clock
    time just before it was spawned. A kiosk whose app does not exist ``start_timeout`` seconds
    after the spawn is stuck starting, whatever the run would have measured: it is ended then."""
    out = kivy_home.with_suffix(".json")
    started = out.with_suffix(".started")
    log = out.with_suffix(".log")  # a file, not a pipe: a full pipe nobody reads would stall the kiosk
    env = {**os.environ, **site.environ, "DISPLAY": display_name, "KIVY_NO_ARGS": "1",
           "KIVY_HOME": str(kivy_home), "PYTHONPATH": str(ROOT), STARTED_ENV: str(started),
           # On an X server without a window manager (Xvfb) SDL's full-screen window keeps the
           # size it was created with, Kivy's default 800x600, while Kivy lays out for the whole
           # screen: most of the screen would be cut off and never drawn. Created at the
           # screen's size, the window is what a compositor gives the kiosk on its panel.
           "KCFG_GRAPHICS_WIDTH": str(size[0]), "KCFG_GRAPHICS_HEIGHT": str(size[1])}
    with open(log, "w") as errors:
        spawned = time.time()
        child = subprocess.Popen([sys.executable, str(script), "--child", str(out), *args], env=env, cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=errors)
        try:
            while child.poll() is None and not started.exists():
                if time.time() - spawned > start_timeout:
                    raise TimeoutError(f"the kiosk did not get as far as its app in {start_timeout} s")
                time.sleep(0.1)
            child.wait(max(1.0, timeout - (time.time() - spawned)))
        except (TimeoutError, subprocess.TimeoutExpired) as exc:
            child.kill()
            child.wait()
            raise RuntimeError(f"{script.name} child stopped: {exc}\n{_tail(log)}") from None
    if child.returncode != 0 or not out.exists():
        raise RuntimeError(f"{script.name} child failed ({child.returncode}):\n{_tail(log)}")
    return json.loads(out.read_text()), spawned


def _tail(log: Path) -> str:
    """The end of a kiosk's log without the debug chatter of its HTTP client."""
    lines = [line for line in log.read_text(errors="replace").splitlines() if "DEBUG" not in line]
    return "\n".join(lines[-40:])


# -- the child: the real kiosk, with a hook ---------------------------------------------------------

def accounts(first: int, count: int) -> list[str]:
    """Digit-only accounts of the demo directory, each once: every journey stores a reading for
    a meter nobody has read in this period yet, as most customers' journeys do."""
    from kiosk import demo_data

    found = list(dict.fromkeys(row[0] for row in demo_data.rows(DIRECTORY_ROWS) if row[0].isdigit()))
    if len(found) < first + count:
        raise SystemExit(f"the demo directory has {len(found)} accounts, fewer than {first + count} journeys")
    return found[first:first + count]


def run_kiosk(on_app: Callable[[Any], None]) -> int:
    """``kiosk run`` as the console script runs it; ``on_app(app)`` is called once the app exists
    (Kivy configured, the window open) and before it runs."""
    import screens.boot
    from kiosk import cli

    create_app = screens.boot.create_app

    def create_and_hook(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)
        Path(os.environ[STARTED_ENV]).touch()
        on_app(app)
        return app

    screens.boot.create_app = create_and_hook
    return cli.main(["run"])


def window_memory() -> dict[str, dict[str, float]]:
    """Memory just before and just after the window opens, filled in when it does: with a
    software renderer, the graphics stack's share of the process is the difference."""
    import screens.boot

    found: dict[str, dict[str, float]] = {}
    prepare = screens.boot.prepare

    def prepare_and_open(*args: Any, **kwargs: Any) -> None:
        prepare(*args, **kwargs)
        found["before_window"] = memory_mb()
        from kivy.core.window import Window  # noqa: F401  (opens the window)

        found["after_window"] = memory_mb()

    screens.boot.prepare = prepare_and_open
    return found


def after_each_frame(callback: Callable[[float], None]) -> None:
    """Call ``callback(swap_s)`` right after each frame has been swapped onto the screen, with
    the time the swap took (with a software renderer, the rasterising happens in it).

    Window's on_flip handlers run before its own flip (Kivy calls the class handler last), so
    the hook wraps the flip itself."""
    from kivy.core.window import Window

    flip = Window.flip

    def flipped() -> None:
        started = time.perf_counter()
        flip()
        callback(time.perf_counter() - started)

    Window.flip = flipped


def screen_settled(app: Any) -> bool:
    """The journey's screen is the one shown, with no screen transition still running."""
    manager = app.root_widget.ids.screens
    return not manager.transition.is_active and manager.current_screen is manager.get_screen(manager.current)


def memory_mb() -> dict[str, float]:
    """Resident memory from /proc/self/status: the whole (VmRSS), the process's own anonymous
    memory (heap, GL buffers) and the pages of mapped files (the code of every library)."""
    fields = {"VmRSS": "rss_mb", "RssAnon": "anon_mb", "RssFile": "file_mb"}
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key = line.split(":", 1)[0]
        if key in fields:
            found[fields[key]] = round(int(line.split()[1]) / 1024, 1)
    return found


def malloc_mb() -> dict[str, float]:
    """The C heap as glibc's malloc sees it (mallinfo2): bytes in use by native code (SDL, the GL
    driver, SQLite, Python's large objects), and bytes freed but kept by the allocator."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
            "keepcost")]

    libc = ctypes.CDLL("libc.so.6")
    if not hasattr(libc, "mallinfo2"):
        return {}
    libc.mallinfo2.restype = MallInfo2
    info = libc.mallinfo2()
    return {"malloc_in_use_mb": round((info.uordblks + info.hblkhd) / 2**20, 1),
            "malloc_free_kept_mb": round(info.fordblks / 2**20, 1)}


def trim_malloc() -> None:
    """Hand the allocator's free memory back to the system: what is left after is really held."""
    import ctypes

    ctypes.CDLL("libc.so.6").malloc_trim(0)


def largest_mappings(count: int = 8) -> dict[str, float]:
    """Resident MB per mapped file (anonymous memory as one entry), largest first."""
    sizes: dict[str, int] = {}
    name = "[anonymous]"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if not head[0].endswith(":"):  # a mapping's first line: address range, ..., its file
            name = Path(head[5]).name if len(head) > 5 else "[anonymous]"
        elif head[0] == "Rss:":
            sizes[name] = sizes.get(name, 0) + int(head[1])
    ordered = sorted(sizes.items(), key=lambda item: -item[1])[:count]
    return {key: round(kb / 1024, 1) for key, kb in ordered}


def gl_renderer() -> str:
    from kivy.graphics.opengl import GL_RENDERER, glGetString

    return glGetString(GL_RENDERER).decode(errors="replace")


def write_json(path: str, document: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(document), encoding="utf-8")
