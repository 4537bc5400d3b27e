"""The status parser: fixed bits checked, every flag read, never "ok" on garbage, never raises."""

from __future__ import annotations

from hypothesis import given, strategies as st

from devices.status import (
    PrinterStatus,
    from_realtime,
    is_status_byte,
    parse_full_status,
    with_full_status,
)

OK = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}


def test_all_clear_is_ok() -> None:
    status = from_realtime(OK)
    assert status.ok and status.state == "online" and status.paper == "ok"


def test_each_flag_in_plain_words() -> None:
    assert from_realtime({**OK, 1: 0x1A}).problem == "printer offline"
    assert from_realtime({**OK, 1: 0x1A, 2: 0x16}).problem == "cover open"
    assert from_realtime({**OK, 1: 0x1A, 2: 0x32, 4: 0x7E}).problem == "paper out"
    assert from_realtime({**OK, 3: 0x1A}).problem == "cutter error"
    assert from_realtime({**OK, 3: 0x32}).problem == "printer fault, needs a technician"
    near_end = from_realtime({**OK, 4: 0x1E})
    assert near_end.ok and near_end.paper == "near_end" and near_end.notice == "paper near end"


def test_missing_or_garbage_answers_are_never_ok() -> None:
    assert from_realtime({1: 0x12}).problem == "printer not answering"
    assert from_realtime({**OK, 3: 0xFF}).problem == "printer answers garbage"
    assert from_realtime({**OK, 2: 0x00}).state == "unreachable"


def test_full_status_of_a_kiosk_printer() -> None:
    full = parse_full_status(bytes([0x10, 0x0F, 0x24, 0x02, 0x40, 0x01]))
    assert full is not None and full.near_end and full.slip_in_presenter and full.cover_open
    status = with_full_status(from_realtime(OK), full)
    assert status.presenter == "slip_waiting" and status.paper_jam and status.cutter_error
    assert status.problem == "cover open"
    assert with_full_status(from_realtime(OK), None).presenter == "unknown"
    assert parse_full_status(b"\x10\x0e\x00\x00\x00\x00") is None


@given(st.dictionaries(st.integers(min_value=-5, max_value=300), st.integers(min_value=-5, max_value=300)))
def test_realtime_parser_never_raises(answers: dict[int, int]) -> None:
    status = from_realtime(answers)
    assert isinstance(status.as_dict(), dict)


@given(st.lists(st.integers(min_value=0, max_value=255), min_size=4, max_size=4))
def test_a_byte_without_the_fixed_bits_is_never_ok(values: list[int]) -> None:
    status = from_realtime(dict(zip((1, 2, 3, 4), values)))
    if not all(is_status_byte(v) for v in values):
        assert not status.ok and status.state == "unreachable"


@given(offline=st.booleans(), cover=st.booleans(), paper_end_stop=st.booleans(), cutter=st.booleans(),
       unrecoverable=st.booleans(), near_end=st.booleans(), paper_out=st.booleans())
def test_round_trip_flags_to_bytes_and_back(offline: bool, cover: bool, paper_end_stop: bool, cutter: bool,
                                            unrecoverable: bool, near_end: bool, paper_out: bool) -> None:
    answers = {
        1: 0x12 | 0x08 * offline,
        2: 0x12 | 0x04 * cover | 0x20 * paper_end_stop,
        3: 0x12 | 0x08 * cutter | 0x20 * unrecoverable,
        4: 0x12 | 0x0C * near_end | 0x60 * paper_out,
    }
    status = from_realtime(answers)
    assert status.state == ("offline" if offline else "online")
    assert status.cover_open == cover and status.cutter_error == cutter and status.unrecoverable == unrecoverable
    expected_paper = "out" if paper_out or paper_end_stop else "near_end" if near_end else "ok"
    assert status.paper == expected_paper
    assert status.ok == (not (offline or cover or cutter or unrecoverable or paper_out or paper_end_stop))


@given(st.binary(max_size=12))
def test_full_status_parser_never_raises(data: bytes) -> None:
    full = parse_full_status(data)
    assert full is None or (len(data) == 6 and data[:2] == b"\x10\x0f")
    with_full_status(from_realtime(OK), full).as_dict()


def test_states_without_answers() -> None:
    for status in (PrinterStatus.disconnected("x"), PrinterStatus.unreachable(), PrinterStatus.busy()):
        assert not status.ok and status.problem
