"""The slip's reference: derived from the txn_id, read back from what a person types."""

import uuid

from hypothesis import given, strategies as st

from sync.reference import reference, txn_prefix


def test_reference_is_the_txn_ids_first_ten_hex_digits_in_two_groups() -> None:
    assert reference("3f2a91c0-b7de-4a11-8c3e-0123456789ab") == "3F2A9-1C0B7"


@given(st.uuids(version=4))
def test_a_typed_reference_finds_its_txn_id(txn_id: uuid.UUID) -> None:
    typed = reference(txn_id)
    for variant in (typed, typed.lower(), typed.replace("-", " "), f"  {typed}\n"):
        prefix = txn_prefix(variant)
        assert prefix is not None and str(txn_id).replace("-", "").startswith(prefix)


def test_cyrillic_look_alikes_are_read_as_the_hex_letters() -> None:
    assert txn_prefix("СА3Е0-00ВВ1") == "ca3e000bb1"


def test_anything_else_is_not_a_reference() -> None:
    for typed in ("", "3F2A9", "3F2A9-1C0B7-1", "3F2A9-1C0BZ", "'; drop table", "3F2A9\x001C0B7"):
        assert txn_prefix(typed) is None
