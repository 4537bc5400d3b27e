"""The encoder's bytes: code page after every init, text in PC866, native QR, golden slips."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devices.emulators.escpos_decoder import EscPosDecoder
from devices.escpos import EscPos, printable
from devices.profiles import PROFILES, get_profile
from devices.slip import render_slip, render_test_page, RUSSIAN_ALPHABET
from tests.devices.conftest import sample_slip

GOLDEN = Path(__file__).parent / "golden"


def test_init_always_selects_the_code_page_again() -> None:
    assert EscPos(17).init().bytes() == b"\x1b@\x1bt\x11"
    assert EscPos(17).init().line("Я").init().bytes().count(b"\x1bt\x11") == 2


def test_cyrillic_goes_out_in_pc866() -> None:
    assert EscPos().text("Ёлка АБВ абв").bytes() == "Ёлка АБВ абв".encode("cp866")


@pytest.mark.parametrize("text, expected", [
    ("№ 5", "N 5"),
    ("«Энергосбыт»", '"Энергосбыт"'),
    ("T1 — день", "T1 - день"),
    ("кВт·ч", "кВт.ч"),
    ("Σ", "S"),
    ("café", "cafe"),
    ("日本", "??"),
    ("tab\there", "tab here"),
])
def test_characters_outside_the_safe_part_of_pc866_are_replaced(text: str, expected: str) -> None:
    assert printable(text) == expected
    EscPos().text(text)  # and never raise


def test_native_qr_matches_python_escpos() -> None:
    escpos_printer = pytest.importorskip("escpos.printer")
    oracle = escpos_printer.Dummy()
    oracle.qr("K017-20251120-000042", ec=1, size=6, native=True)  # ec 1 = M
    assert EscPos().qr("K017-20251120-000042", 6, "M").bytes() == oracle.output


def test_styles_match_python_escpos_where_it_has_them() -> None:
    constants = pytest.importorskip("escpos.constants")

    assert EscPos().align("center").bytes() == constants.TXT_STYLE["align"]["center"]
    assert EscPos().bold().bytes() == constants.TXT_STYLE["bold"][True]
    assert EscPos().cut().bytes() == constants.PAPER_FULL_CUT


@pytest.mark.parametrize("profile_name", sorted(PROFILES))
def test_slip_bytes_match_the_golden_file(profile_name: str) -> None:
    """Any change to what goes on the wire is deliberate: UPDATE_GOLDEN=1 rewrites the files."""
    data = render_slip(sample_slip("ru"), PROFILES[profile_name]).bytes()
    golden = GOLDEN / f"slip-{profile_name}-ru.bin"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(data)
    assert data == golden.read_bytes()


def test_english_copy_golden() -> None:
    data = render_slip(sample_slip("en", copy=True), PROFILES["epson"]).bytes()
    golden = GOLDEN / "slip-epson-en-copy.bin"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_bytes(data)
    assert data == golden.read_bytes()


@pytest.mark.parametrize("profile_name", sorted(PROFILES))
def test_slip_shape_per_profile(profile_name: str) -> None:
    profile = PROFILES[profile_name]
    data = render_slip(sample_slip("ru"), profile).bytes()
    assert data.startswith(b"\x1b@\x1bt\x11")
    assert len(data) <= 1500, "a three-zone slip with its QR fits the byte budget"
    assert b"\x1d(k" in data
    assert (b"\x1dV\x00" in data) == profile.cutter
    assert (b"\x1cP" in data) == profile.presenter
    lines = _lines(data)
    assert all(len(line) <= profile.columns for line in lines), lines
    assert any(line.endswith("******8779") for line in lines)
    assert "2287008779" not in data.decode("cp866", errors="replace")


def test_48_columns_as_a_profile_option() -> None:
    profile = get_profile("epson", columns=48)
    lines = _lines(render_slip(sample_slip("ru"), profile).bytes())
    assert max(len(line) for line in lines) == 48


def test_test_page_has_the_whole_alphabet_in_both_cases() -> None:
    text = "".join(_lines(render_test_page(PROFILES["generic-58mm"]).bytes()))
    assert RUSSIAN_ALPHABET in text and RUSSIAN_ALPHABET.lower() in text


def _lines(data: bytes) -> list[str]:
    """The text lines of a job, read back by the emulator's decoder."""
    lines: list[str] = []
    current: list[str] = []
    for event in EscPosDecoder().feed(data):
        if event.kind == "text":
            current.append(event.value)
        elif event.kind == "newline":
            lines.append("".join(current))
            current = []
    return lines
