"""The checks that keep the tree as it is meant to be: ruff's rules, mypy's types, and the
direction of imports between the packages (README, "The house").

ruff and mypy run as the developer would run them, with pyproject.toml's settings; mypy keeps its
cache in .mypy_cache, so after the first run it checks only what changed.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "screens", "devices", "sync")

# Which packages each package may import. screens → kiosk → devices, sync; devices and sync stand
# alone. The one exception runs upward on purpose: the CLI shows the touch screen, so its commands
# import screens lazily, inside the function that needs it (see kiosk/commands/terminal.py).
ALLOWED = {
    "screens": {"screens", "kiosk", "devices", "sync"},
    "kiosk": {"kiosk", "devices", "sync"},
    "devices": {"devices"},
    "sync": {"sync"},
}
UPWARD_EXCEPTIONS = {("kiosk/commands/terminal.py", "screens"), ("kiosk/commands/ui.py", "screens")}
# The UI toolkit stays in the UI: everything else runs (and is tested) without a window.
KIVY_ONLY_IN = "screens"


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed: `pip install -e '.[dev]'` (or `make .venv/.ready`)")
    return found


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    result = _run([_tool("ruff"), "check", "--no-cache", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing() -> None:
    result = _run([_tool("mypy"), "--no-error-summary", "--hide-error-context"])
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 0 and not errors, result.stdout + result.stderr


def _imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, module, at top level) for every import in the file, lazy ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module, id(node) in top))
    return sorted(found)


def _modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_every_import_runs_in_the_direction_of_the_house() -> None:
    wrong = []
    for path in _modules():
        relative = path.relative_to(ROOT).as_posix()
        package = relative.split("/", 1)[0]
        for line, module, top_level in _imports(path):
            target = module.split(".", 1)[0]
            if target == "kivy" and package != KIVY_ONLY_IN:
                wrong.append(f"{relative}:{line}: imports {module}: Kivy belongs in screens/")
            if target not in PACKAGES or target in ALLOWED[package]:
                continue
            if (relative, target) in UPWARD_EXCEPTIONS and not top_level:
                continue
            wrong.append(f"{relative}:{line}: {package} imports {module}")
    assert not wrong, "imports against the direction:\n" + "\n".join(wrong)


def test_the_import_check_sees_a_wrong_import(tmp_path: Path) -> None:
    # The reader above must see imports wherever they are: inside functions and TYPE_CHECKING too.
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nif True:\n    from kiosk.journey import Journey\n"
                      "def f():\n    import screens.app\n", encoding="utf-8")
    assert _imports(sample) == [(1, "os", True), (3, "kiosk.journey", False), (5, "screens.app", False)]


def test_the_upward_exceptions_are_still_needed() -> None:
    # An exception nobody uses any more is a door left open: drop it from the list.
    for relative, target in UPWARD_EXCEPTIONS:
        assert any(module.split(".", 1)[0] == target for _, module, _ in _imports(ROOT / relative)), relative


def test_only_the_store_reaches_its_database_engine() -> None:
    # The store's API is the one way into the terminal's database: a query written elsewhere
    # escapes its transactions, its locks and its error handling.
    wrong = []
    for path in _modules():
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(("kiosk/", "screens/")) or relative.startswith("kiosk/store/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        wrong += [f"{relative}:{node.lineno}" for node in ast.walk(tree)
                  if isinstance(node, ast.Attribute) and node.attr == "engine"]
    assert not wrong, "the store's engine used outside kiosk/store/:\n" + "\n".join(wrong)


def test_every_type_ignore_says_why() -> None:
    # mypy (warn_unused_ignores) keeps each one needed; the comment above it says what mypy cannot
    # see there, so that the next reader can tell whether it still holds.
    unexplained = []
    for path in _modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if "# type: ignore" in line and not (number > 1 and lines[number - 2].strip().startswith("#")):
                unexplained.append(f"{path.relative_to(ROOT).as_posix()}:{number}")
    assert not unexplained, "type: ignore without its reason on the line above:\n" + "\n".join(unexplained)
