"""``kiosk printer|scanner|emulate`` as a person runs them: separate processes, real ptys."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The same parser kiosk/cli.py builds, around this module alone, with a context that only
# loads the configuration: these commands need nothing else, and the store's imports cost a
# second per process on this machine.
RUNNER = """
import argparse, sys
from kiosk import config
from kiosk.commands import devices

class Context:
    @property
    def config(self):
        return config.load(None)

parser = argparse.ArgumentParser(prog="kiosk")
devices.register(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.run(args, Context()))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["KIOSK_TERMINAL_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONPATH"] = str(ROOT)
    return env


def kiosk(tmp_path: Path, *args: str, timeout: float = 15) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", RUNNER, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=_env(tmp_path))


def start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", RUNNER, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_env(tmp_path))


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


@pytest.fixture
def emulated_printer(tmp_path: Path) -> Iterator[dict[str, Any]]:
    process = start(tmp_path, "emulate", "printer", "--profile", "epson", "--out", str(tmp_path / "printer"))
    assert process.stdout is not None
    info = json.loads(process.stdout.readline())
    yield info
    assert _stop(process) == 0
    assert not Path(info["port"]).exists(), "the port link goes with the emulator"


def test_printer_status_test_and_faults_from_another_process(tmp_path: Path, emulated_printer: dict) -> None:
    port, control = emulated_printer["port"], emulated_printer["control"]
    status = kiosk(tmp_path, "printer", "status", "--port", port, "--profile", "epson")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["ok"] is True

    test = kiosk(tmp_path, "printer", "test", "--port", port, "--profile", "epson")
    assert test.returncode == 0, test.stderr
    assert json.loads(test.stdout)["printed"] is True
    slip = (Path(emulated_printer["out"]) / "0001.txt").read_text(encoding="utf-8")
    assert "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ" in slip

    fault = kiosk(tmp_path, "emulate", "fault", control, "paper_out")
    assert fault.returncode == 0 and json.loads(fault.stdout)["faults"] == ["paper_out"]
    status = kiosk(tmp_path, "printer", "status", "--port", port, "--profile", "epson")
    assert status.returncode == 1 and json.loads(status.stdout)["problem"] == "paper out"
    test = kiosk(tmp_path, "printer", "test", "--port", port, "--profile", "epson", "--deadline", "2")
    assert test.returncode == 1 and "paper out" in test.stderr

    # The pty path a person was shown works as the address too.
    cleared = kiosk(tmp_path, "emulate", "fault", emulated_printer["pty"], "ok")
    assert cleared.returncode == 0, cleared.stderr
    assert json.loads(cleared.stdout)["faults"] == []
    assert kiosk(tmp_path, "printer", "status", "--port", port, "--profile", "epson").returncode == 0


def test_printer_without_a_port(tmp_path: Path) -> None:
    result = kiosk(tmp_path, "printer", "status")
    assert result.returncode == 2 and "--port" in result.stderr


def test_a_port_that_is_not_there(tmp_path: Path) -> None:
    result = kiosk(tmp_path, "printer", "status", "--port", str(tmp_path / "nothing"), "--profile", "epson")
    assert result.returncode == 1 and json.loads(result.stdout)["problem"] == "printer disconnected"


def test_scanner_emit_and_read(tmp_path: Path) -> None:
    emulator = start(tmp_path, "emulate", "scanner", "--dir", str(tmp_path / "scanner"))
    try:
        assert emulator.stdout is not None
        info = json.loads(emulator.stdout.readline())
        reader = start(tmp_path, "scanner", "read", "--port", info["port"], "--count", "2", "--timeout", "8")
        # Opening a port drops what was sent before: emit once the reader says it is reading.
        assert reader.stderr is not None
        assert "reading scans" in reader.stderr.readline()
        assert kiosk(tmp_path, "scanner", "emit", info["control"], "ST00011|Name=АО Свет|PersAcc=2287008779",
                     "--encoding", "cp1251").returncode == 0
        assert kiosk(tmp_path, "scanner", "emit", info["port"], "hello").returncode == 0
        out, err = reader.communicate(timeout=10)
        assert reader.returncode == 0, err
        first, second = (json.loads(line) for line in out.splitlines())
        assert first["kind"] == "bill" and first["account"] == "2287008779" and first["encoding"] == "cp1251"
        assert second["kind"] == "not_a_bill" and second["account"] is None and second["reason"]
    finally:
        assert _stop(emulator) == 0


def test_scanner_read_times_out_without_scans(tmp_path: Path) -> None:
    result = kiosk(tmp_path, "scanner", "read", "--port", str(tmp_path / "none"), "--count", "1", "--timeout", "0.5")
    assert result.returncode == 1 and result.stdout == ""
