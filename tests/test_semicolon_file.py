"""The one reader of every semicolon file: strict UTF-8 with true positions, a record per line,
quotes as the CSV dialect says, and never a crash whatever the bytes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.semicolon_file import MAX_LINE_BYTES, BadLine, cells, read_lines


def lines_of(data: bytes) -> list:
    return list(read_lines(io.BytesIO(data)))


def test_an_undecodable_byte_is_named_at_its_true_line_and_column(tmp_path: Path) -> None:
    """The old reader decoded in 8 KB chunks and named the line where its chunk began."""
    rows = [f"{n:010d};Иванов Иван Иванович;ул. Ленина, д. {n}".encode() for n in range(400)]
    rows[250] = "0000000250;Иванов ".encode() + "Ш".encode("cp1251") + b"hmm;x"
    path = tmp_path / "file.csv"
    path.write_bytes(b"\n".join(rows) + b"\n")
    assert path.stat().st_size > 3 * 8192  # the fault lies well past the first chunks
    read = list(read_lines(path))
    assert len(read) == 400
    [bad] = [item for item in read if isinstance(item, BadLine)]
    assert (bad.number, bad.position) == (251, 19)
    assert "0xD8" in bad.message and "character 19" in bad.message and "UTF-8" in bad.message
    assert bad.text.startswith("0000000250;Иванов \ufffd")
    assert read[251] == (252, rows[251].decode(), True)


def test_bom_and_crlf_line_endings_are_dropped() -> None:
    assert lines_of(b"\xef\xbb\xbfa;b\r\nc;d\r\n") == [(1, "a;b", True), (2, "c;d", True)]


def test_a_stray_quote_stays_on_its_line() -> None:
    read = lines_of(b'1;x"y;2\n3;"open;4\n5;6\n')
    assert [item[:2] for item in read] == [(1, '1;x"y;2'), (2, '3;"open;4'), (3, "5;6")]
    assert cells(read[0][1]) == ["1", 'x"y', "2"]  # inside a field a quote is a character
    with pytest.raises(ValueError, match="not closed on this line"):
        cells(read[1][1])
    assert cells('7;"a;b ""c""";8') == ["7", 'a;b "c"', "8"]
    with pytest.raises(ValueError, match="closing quote"):
        cells('7;"a"b;8')


def test_a_20_mb_line_is_reported_and_skipped_and_the_next_line_read() -> None:
    huge = b"1;" + b"x" * (20 * 2**20) + b"\n"
    read = lines_of(b"a;b\n" + huge + b"c;d\n")
    assert read[0] == (1, "a;b", True) and read[2] == (3, "c;d", True)
    bad = read[1]
    assert isinstance(bad, BadLine) and bad.number == 2 and bad.ended
    assert f"{len(huge):,} bytes" in bad.message
    assert len(bad.text) <= MAX_LINE_BYTES + 1  # only the start of it was kept


def test_a_nul_and_a_last_line_without_an_ending() -> None:
    assert lines_of(b"a\x00b;c\nd;e") == [(1, "a\x00b;c", True), (2, "d;e", False)]


def physical_lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600) | st.lists(st.sampled_from([b";", b'"', b"\n", b"\r\n", b"\x00", b"\xd0", b"\xd0\x98",
                                                            b"\xff", b"a", b"1", b" "]), max_size=80).map(b"".join))
def test_no_byte_string_crashes_the_reader_and_every_line_is_told(data: bytes) -> None:
    read = lines_of(data)
    assert [item[0] for item in read] == list(range(1, physical_lines(data) + 1))  # no line merged, none lost
    for item in read:
        if isinstance(item, BadLine):
            assert item.message
        else:
            try:
                cells(item[1])
            except ValueError as exc:
                assert str(exc)
