"""Service entry (PIN hashes, the lock that survives a restart, roles) and the out-of-service
switch, on real store files."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import event

from kiosk.service import pins
from kiosk.config import Config, ConfigError, Service, load
from kiosk.errors import StoreError
from kiosk.service.access import ADMINISTRATOR, TECHNICIAN, NotAllowed, ServiceAccess, ServiceSession
from kiosk.store import Store

TECHNICIAN_PIN, ADMINISTRATOR_PIN = "2468", "97531086"


@pytest.fixture(scope="module")
def settings() -> Service:
    # Hashed once: scrypt is deliberately slow.
    return Service(technician_pin_hash=pins.hash_pin(TECHNICIAN_PIN),
                   administrator_pin_hash=pins.hash_pin(ADMINISTRATOR_PIN), max_attempts=5, lockout_s=600.0)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def kinds(store: Store) -> list[str]:
    return [e.kind for e in reversed(store.events.recent(100))]


def read_only(store: Store) -> Callable[..., None]:
    """SQLite itself refuses every write from now on, as on a read-only disk; reads still work.
    Returns the hook that does it, for ``works_again``."""
    def refuse_writes(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")

    event.listen(store.engine, "connect", refuse_writes)
    store.engine.dispose()
    return refuse_writes


def works_again(store: Store, refuse_writes: Callable[..., None]) -> None:
    event.remove(store.engine, "connect", refuse_writes)
    store.engine.dispose()


def damaged(store: Store) -> None:
    """The file is no database any more: reads fail as well as writes."""
    store.engine.dispose()
    for leftover in (Path(f"{store.path}-wal"), Path(f"{store.path}-shm")):
        leftover.unlink(missing_ok=True)
    store.path.write_bytes(b"not a database " * 512)


# Root writes to a file chmod made read-only, and tests may run as root: SQLite's own refusal
# and a file that is no database fail the same way for every user.
@pytest.fixture(params=[read_only, damaged], ids=["read-only", "damaged"])
def breaks(request: pytest.FixtureRequest) -> Callable[[Store], object]:
    return request.param


def unstored(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("event not stored")]


def test_a_pin_hash_verifies_only_its_pin() -> None:
    encoded = pins.hash_pin("1234")
    assert encoded.startswith("scrypt$16384$8$1$")
    assert pins.verify("1234", encoded)
    assert not pins.verify("1235", encoded)
    assert encoded != pins.hash_pin("1234")  # salted


@pytest.mark.parametrize("text", ["", "1234", "scrypt$16384$8$1$c2FsdA==", "bcrypt$1$1$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==",
                                  "scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==",
                                  "scrypt$1073741824$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==",
                                  "scrypt$16384$8$1$not base64$aGFzaGhhc2hoYXNoaGFzaA=="])
def test_a_malformed_hash_is_refused(text: str) -> None:
    with pytest.raises(pins.PinHashError):
        pins.parse(text)


def test_the_configuration_names_a_bad_hash(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[service]\nadministrator_pin_hash = "1234"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[service\] administrator_pin_hash: .*kiosk pin hash"):
        load(path, {})


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a4", " 1234"])
def test_a_pin_is_4_to_12_digits(pin: str) -> None:
    with pytest.raises(ValueError, match="4 to 12 digits"):
        pins.hash_pin(pin)


def test_each_role_enters_with_its_own_pin(store: Store, settings: Service) -> None:
    access = ServiceAccess(store, settings)
    assert access.enter(TECHNICIAN_PIN).role == TECHNICIAN
    assert access.enter(ADMINISTRATOR_PIN, via="card").role == ADMINISTRATOR
    entries = [(e.kind, e.role, e.detail["via"]) for e in reversed(store.events.recent(10))]
    assert entries == [("service_entry", TECHNICIAN, "corner"), ("service_entry", ADMINISTRATOR, "card")]


def test_no_pin_configured_means_no_entry(store: Store) -> None:
    access = ServiceAccess(store, Service())
    assert not access.open_to_anyone
    assert not access.enter("1234").granted


def test_five_wrong_pins_lock_entry_across_a_restart(kiosk_config: Config, settings: Service) -> None:
    clock = Clock()
    store = Store.open(kiosk_config.database_path)
    access = ServiceAccess(store, settings, clock)
    assert [access.enter("0000").attempts_left for _ in range(4)] == [4, 3, 2, 1]
    locked = access.enter("1111")
    assert not locked.granted and locked.locked_until == clock.now + timedelta(seconds=600)
    assert not access.enter(TECHNICIAN_PIN).granted  # the right PIN waits for the lock too
    store.close()

    store = Store.open(kiosk_config.database_path)  # the kiosk restarted
    access = ServiceAccess(store, settings, clock)
    clock.now += timedelta(seconds=599)
    assert access.locked_until() == locked.locked_until
    assert access.enter(ADMINISTRATOR_PIN).locked_until == locked.locked_until
    clock.now += timedelta(seconds=1)
    assert access.locked_until() is None
    assert access.enter(TECHNICIAN_PIN).role == TECHNICIAN
    assert kinds(store) == ["service_pin_wrong"] * 5 + ["service_locked", "service_entry_refused",
                                                        "service_entry_refused", "service_entry"]
    store.close()


def test_a_right_pin_after_wrong_ones_resets_the_count(store: Store, settings: Service) -> None:
    access = ServiceAccess(store, settings, Clock())
    for _ in range(4):
        access.enter("0000")
    assert access.enter(TECHNICIAN_PIN).granted
    assert access.enter("0000").attempts_left == 4


def test_a_clock_set_back_cannot_stretch_the_lock(store: Store, settings: Service) -> None:
    clock = Clock()
    access = ServiceAccess(store, settings, clock)
    for _ in range(5):
        access.enter("0000")
    clock.now -= timedelta(days=30)
    assert access.locked_until() == clock.now + timedelta(seconds=settings.lockout_s)


def test_a_technician_enters_when_nothing_can_be_stored(store: Store, settings: Service, breaks,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    breaks(store)
    access = ServiceAccess(store, settings)
    with caplog.at_level(logging.WARNING, logger="kiosk.service.access"):
        assert access.locked_until() is None
        assert access.enter(TECHNICIAN_PIN).role == TECHNICIAN
        assert access.enter(ADMINISTRATOR_PIN, via="card").role == ADMINISTRATOR
        access.session(TECHNICIAN).record("test_slip", printed=True)
        access.leave(role=TECHNICIAN, idle=False)
    # The journal keeps what the event log could not take.
    events = unstored(caplog)
    assert len(events) == 4
    assert events[0].endswith("service_entry role=technician via=corner")
    assert events[1].endswith("service_entry role=administrator via=card")
    assert events[2].endswith("service_test_slip role=technician printed=True")
    assert events[3].endswith("service_left role=technician idle=False")


def test_wrong_pins_lock_entry_in_memory_when_the_store_cannot_count(store: Store, settings: Service, breaks,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    breaks(store)
    clock = Clock()
    access = ServiceAccess(store, settings, clock)
    with caplog.at_level(logging.WARNING, logger="kiosk.service.access"):
        assert [access.enter("0000").attempts_left for _ in range(4)] == [4, 3, 2, 1]
        locked = access.enter("1111")
        assert not locked.granted and locked.locked_until == clock.now + timedelta(seconds=600)
        assert access.enter(TECHNICIAN_PIN).locked_until == locked.locked_until  # the right PIN waits too
        clock.now += timedelta(seconds=599)
        assert access.locked_until() == locked.locked_until
        clock.now += timedelta(seconds=1)
        assert access.enter(TECHNICIAN_PIN).role == TECHNICIAN
        assert access.enter("0000").attempts_left == 4  # the right PIN started the count again
    kinds_logged = [message.split("): ")[1].split()[0] for message in unstored(caplog)]
    assert kinds_logged == ["service_pin_wrong"] * 5 + ["service_locked", "service_entry_refused",
                                                        "service_entry", "service_pin_wrong"]


def test_a_restart_with_the_store_still_broken_counts_afresh(store: Store, settings: Service, breaks) -> None:
    breaks(store)
    clock = Clock()
    access = ServiceAccess(store, settings, clock)
    for _ in range(5):
        access.enter("0000")
    assert access.locked_until() is not None
    # The lock was in this process's memory only: the price of letting a technician in.
    restarted = ServiceAccess(store, settings, clock)
    assert restarted.locked_until() is None
    assert restarted.enter("0000").attempts_left == 4


def test_the_count_goes_on_in_memory_from_where_the_store_left_it(store: Store, settings: Service,
                                                                  breaks) -> None:
    clock = Clock()
    access = ServiceAccess(store, settings, clock)
    assert [access.enter("0000").attempts_left for _ in range(3)] == [4, 3, 2]
    breaks(store)
    assert access.enter("0000").attempts_left == 1
    assert access.enter("0000").locked_until == clock.now + timedelta(seconds=600)


def test_a_lock_kept_in_memory_holds_when_the_store_works_again(store: Store, settings: Service) -> None:
    clock = Clock()
    access = ServiceAccess(store, settings, clock)
    refuse_writes = read_only(store)
    for _ in range(5):
        access.enter("0000")
    works_again(store, refuse_writes)
    assert store.service.entry_lock().locked_until is None  # the store never heard of it
    assert access.enter(TECHNICIAN_PIN).locked_until == clock.now + timedelta(seconds=600)
    assert kinds(store) == ["service_entry_refused"]


def test_reprint_is_for_administrators(store: Store, settings: Service) -> None:
    access = ServiceAccess(store, settings)
    technician = access.session(TECHNICIAN)
    technician.record("test_slip", printed=True)
    with pytest.raises(NotAllowed):
        technician.record("reprint", seq=1)
    access.session(ADMINISTRATOR).record("reprint", seq=1)
    assert kinds(store) == ["service_test_slip", "service_refused", "service_reprint"]
    assert [e.role for e in reversed(store.events.recent(3))] == [TECHNICIAN, TECHNICIAN, ADMINISTRATOR]


def test_a_session_ends_after_its_idle_time(store: Store, settings: Service) -> None:
    ticks = [0.0]
    session = ServiceSession(ServiceAccess(store, settings), TECHNICIAN, settings.idle_s, clock=lambda: ticks[0])
    ticks[0] = settings.idle_s - 1
    assert not session.expired
    session.touch()
    ticks[0] += settings.idle_s
    assert session.expired
    session.leave(idle=True)
    assert store.events.recent(1)[0].detail == {"idle": True}


def test_the_out_of_service_switch_survives_a_restart(kiosk_config: Config, settings: Service) -> None:
    store = Store.open(kiosk_config.database_path)
    ServiceAccess(store, settings).switch_out_of_service(role=TECHNICIAN, reason="paper delivery")
    store.close()
    store = Store.open(kiosk_config.database_path)
    access = ServiceAccess(store, settings)
    state = access.out_of_service()
    assert (state.by, state.reason) == (TECHNICIAN, "paper delivery")
    access.switch_in_service(role=TECHNICIAN)
    assert access.out_of_service() is None
    assert [(e.kind, e.role) for e in reversed(store.events.recent(2))] == [
        ("out_of_service", TECHNICIAN), ("in_service", TECHNICIAN)]
    store.close()


def test_a_failed_commit_takes_the_terminal_out_of_service_until_storage_works(store: Store, settings: Service) -> None:
    access = ServiceAccess(store, settings)
    refuse_writes = read_only(store)
    with pytest.raises(Exception) as failed:
        store.events.append("probe")
    state = access.storage_failed(failed.value)
    assert state.by == "system" and "readonly" in state.reason
    assert access.out_of_service() == state  # known in memory though the store could not take it
    with pytest.raises(StoreError, match="cannot store readings"):
        access.switch_in_service(role=TECHNICIAN)
    assert access.out_of_service() == state

    works_again(store, refuse_writes)
    access.switch_in_service(role=TECHNICIAN)
    assert access.out_of_service() is None


def test_a_storage_failure_is_recorded_when_the_store_can_take_it(store: Store, settings: Service) -> None:
    ServiceAccess(store, settings).storage_failed(OSError(28, "No space left on device"))
    state = store.service.out_of_service()
    assert state.by == "system" and "No space left" in state.reason
    assert store.events.recent(1)[0].role == "system"
