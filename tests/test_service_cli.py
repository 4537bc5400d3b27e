"""`kiosk pin hash`, `kiosk status` and `kiosk service ...`, through a parser built from the
command module's own register(), on real store files."""

from __future__ import annotations

import argparse
import io
import json
import socket
import time
import tomllib
from pathlib import Path

import pytest

from kiosk.service import pins
from kiosk.commands import service
from kiosk.config import Config
from kiosk.context import Context
from kiosk.service.health import SUBSYSTEMS
from kiosk.release import package_version
from kiosk.store import Store


def kiosk(*argv: str, config: Path | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk")
    subparsers = parser.add_subparsers(dest="command", required=True)
    service.register(subparsers)
    args = parser.parse_args(list(argv))
    context = Context(config_path=str(config) if config else None)
    try:
        return args.run(args, context)
    finally:
        context.close()


def write_config(tmp_path: Path, config: Config, extra: str = "") -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[terminal]\ndata_dir = "{config.data_dir}"\n{extra}', encoding="utf-8")
    return path


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_pin_hash_from_a_pipe_makes_a_line_for_the_config(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("246810\n"))
    assert kiosk("pin", "hash", "--role", "administrator") == 0
    line = capsys.readouterr().out
    encoded = tomllib.loads(line)["administrator_pin_hash"]
    assert pins.verify("246810", encoded)


def test_pin_hash_refuses_a_pin_that_is_not_4_to_12_digits(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("12ab\n"))
    assert kiosk("pin", "hash") == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "4 to 12 digits" in captured.err


def test_status_is_zero_when_nothing_is_red(tmp_path: Path, kiosk_config: Config, seeded_store: Store,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert kiosk("status", config=write_config(tmp_path, kiosk_config)) == 0
    document = lines(capsys)[0]
    assert document["overall"] == "yellow"  # no office configured
    assert [s["subsystem"] for s in document["subsystems"]] == list(SUBSYSTEMS)
    assert document["out_of_service"] is None
    assert document["version"] == package_version() != "unknown"


def test_status_exits_2_fast_when_the_office_is_unreachable(tmp_path: Path, kiosk_config: Config,
                                                            seeded_store: Store,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        config = write_config(tmp_path, kiosk_config, f'[office]\nurl = "http://127.0.0.1:{port}"\nsecret = "s"\n')
        started = time.monotonic()
        code = kiosk("status", config=config)
    assert time.monotonic() - started < 3
    assert code == 2
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    network = next(s for s in document["subsystems"] if s["subsystem"] == "network")
    assert document["overall"] == "red" and network["level"] == "red"
    assert network["reason"].startswith("office unreachable")
    assert "network: red: office unreachable" in captured.err


def test_out_of_service_and_back_from_the_shell(tmp_path: Path, kiosk_config: Config, seeded_store: Store,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, kiosk_config)
    assert kiosk("service", "out-of-service", "--reason", "network works", config=config) == 0
    assert lines(capsys)[0]["by"] == "shell"
    kiosk("status", config=config)
    assert lines(capsys)[0]["out_of_service"]["reason"] == "network works"
    assert kiosk("service", "in-service", config=config) == 0
    capsys.readouterr()
    assert kiosk("service", "events", "--limit", "2", config=config) == 0
    assert [(e["kind"], e["role"]) for e in lines(capsys)] == [("out_of_service", "shell"), ("in_service", "shell")]


def test_status_against_a_baseline_counts_only_new_reds(tmp_path: Path, kiosk_config: Config,
                                                        seeded_store: Store,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        config = write_config(tmp_path, kiosk_config, f'[office]\nurl = "http://127.0.0.1:{port}"\nsecret = "s"\n')
        assert kiosk("status", config=config) == 2
        before = tmp_path / "before.json"
        before.write_text(capsys.readouterr().out, encoding="utf-8")
        # The network was down before the upgrade already: the new release is not blamed for it.
        assert kiosk("status", "--baseline", str(before), config=config) == 0
        assert "red before too" in capsys.readouterr().err
        healthy = tmp_path / "healthy.json"
        healthy.write_text(before.read_text().replace('"red"', '"green"'), encoding="utf-8")
        assert kiosk("status", "--baseline", str(healthy), config=config) == 2
        garbage = tmp_path / "garbage.json"
        garbage.write_text('{"subsystems": 7}', encoding="utf-8")
        assert kiosk("status", "--baseline", str(garbage), config=config) == 2
        assert "no usable baseline" in capsys.readouterr().err
        assert kiosk("status", "--baseline", str(tmp_path / "missing.json"), config=config) == 2
