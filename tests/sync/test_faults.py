"""Exactly once through a network that breaks at random: resets before and after the office
committed, 500s, 429s with Retry-After, answers slower than the timeout, truncated answers."""

from __future__ import annotations

import json
import random
import time

from sqlalchemy import Engine, func, select

from kiosk.store import Store
from sync.backoff import Backoff
from sync.office.schema import submissions
from sync.uploader import Uploader
from tests.sync.faulty_proxy import FaultyProxy
from tests.sync.support import OfficeServer, client, load_office_directory, meter_rows, queue_submissions

SUBMISSIONS = 1000
BATCH = 3  # 334 batches, each tried until it gets through: over 500 faulted attempts


def test_every_submission_arrives_once_through_random_faults(office_engine: Engine, kiosk_store: Store) -> None:
    rows = meter_rows(60)
    load_office_directory(office_engine, rows)
    kiosk_store.directory.import_rows(rows)
    queued = set(queue_submissions(kiosk_store, "kiosk-1", rows, SUBMISSIONS))
    with OfficeServer(office_engine) as office, \
            FaultyProxy(office.port, fault_rate=0.66, seed=4, slow_seconds=0.3) as proxy:
        secret = office.terminal("kiosk-1")
        uploader = Uploader(
            kiosk_store.outbox,
            client(proxy.url, "kiosk-1", secret, connect_timeout=1.0, read_timeout=0.15),
            batch_size=BATCH,
            # tiny delays (and Retry-After capped low) keep the test short; the logic is the app's
            backoff=Backoff(base=0.002, cap=0.01, retry_after_cap=0.01, rng=random.Random(1)),
            idle_interval=0.01,
        )
        uploader.start()
        deadline = time.monotonic() + 150
        while kiosk_store.outbox.depth() and time.monotonic() < deadline:
            time.sleep(0.05)
        uploader.stop(timeout=5)
        time.sleep(proxy.slow_seconds + 0.2)  # let late "slow_before" requests reach the office
    print(json.dumps(dict(proxy.counts)))
    assert proxy.faulted >= 500, proxy.counts
    assert all(proxy.counts[name] > 0 for name in proxy.faults), proxy.counts
    assert kiosk_store.outbox.depth() == 0
    with office_engine.connect() as connection:
        stored = connection.execute(select(submissions.c.txn_id)).scalars().all()
        count = connection.execute(select(func.count()).select_from(submissions)).scalar_one()
    assert count == SUBMISSIONS and set(stored) == queued
    states = {s.sync_state for s in kiosk_store.submissions.latest(limit=SUBMISSIONS)}
    assert states == {"delivered"}
