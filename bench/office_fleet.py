"""The fleet page under a fleet's load: simulated terminals heartbeat every 60 s and upload now and
then against ``kiosk office serve --workers 2`` on PostgreSQL, while an operator reloads /fleet.

Prints JSON: the fleet page's render time (p50, p99) and the heartbeats' latency (p99) while it
runs. Goals at 2,000 terminals: the fleet page within 300 ms, heartbeat p99 within 50 ms.
``--quick``: the same fleet for 20 s instead of 120. ``--db`` defaults to the CI server; the
benchmark works in a schema of its own and drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import percentile, report  # noqa: E402
from sync_common import load_office_directory, meter_rows  # noqa: E402

from sync.office import fleet, operators  # noqa: E402
from sync.office.database import migrate, normalise_url, open_engine  # noqa: E402
from sync.office.local import free_port  # noqa: E402
from sync.office.operators import Role  # noqa: E402
from sync.office.terminals import add_terminal  # noqa: E402
from sync.signing import HmacAuth  # noqa: E402
from sync.wire import Heartbeat  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
INTERVAL_S = 60
UPLOAD_EVERY_S = 600  # a terminal sends a reading every ten minutes on average
SENDERS = 16  # threads sending the terminals' requests
# A terminal's requests come a minute apart, long after the office's keep-alive (uvicorn's 5 s)
# has closed its connection: each comes on a connection of its own, which the kernel gives to
# whichever worker takes it first. Kept open, the senders' 16 connections stayed with the worker
# that took them, most of them with one.
ANEW = {"Connection": "close"}


def heartbeat(number: int) -> dict[str, Any]:
    """A terminal's heartbeat; about one in twenty has trouble, as a real fleet would."""
    paper = "out" if number % 97 == 0 else "near_end" if number % 23 == 0 else "ok"
    network = "yellow" if number % 31 == 0 else "green"
    return {
        "app_version": "0.4.2", "queue_depth": number % 3, "oldest_pending_age": 12.0 if number % 3 else None,
        "interval_s": INTERVAL_S, "printer": {"state": "ok", "paper": paper}, "capabilities": ["commands"],
        "last_upload_at": datetime.now(timezone.utc).isoformat(),
        "paper_roll": {"length_m": 80.0, "used_m": 20.0 + number % 50, "slips": 200 + number % 300},
        "subsystems": [{"name": name, "level": network if name == "network" else "green",
                        "reason": "slow link" if name == "network" and network == "yellow" else None}
                       for name in ("printer", "scanner", "upload", "directory", "network", "storage", "clock")],
    }


def submission(terminal_id: str, seq: int, row: Any) -> dict[str, Any]:
    meanings = [str(meaning) for meaning in row.meanings]
    return {"txn_id": str(uuid.uuid4()), "seq": seq, "terminal_id": terminal_id, "account": row.account,
            "meter": row.meter, "taken_at": datetime.now(timezone.utc).isoformat(), "period": "2026-11",
            "readings": [{"zone": zone + 1, "meaning": meanings[zone], "value": 5000 + zone, "consumption": 7}
                         for zone in range(row.zones)], "confirmed": []}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--terminals", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=120.0, help="how long the load runs")
    parser.add_argument("--quick", action="store_true", help="20 s of load")
    args = parser.parse_args()
    seconds = 20.0 if args.quick else args.seconds
    url = normalise_url(args.db)
    schema = f"office_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    office = None
    server_log = tempfile.TemporaryFile()  # the server's log, read back only if it fails to start
    try:
        schema_url = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
        engine = open_engine(schema_url)
        migrate(engine)
        rows = meter_rows(2000)
        load_office_directory(engine, rows)
        ids = [f"kiosk-{number:05d}" for number in range(args.terminals)]
        secrets = {terminal: add_terminal(engine, terminal) for terminal in ids}
        password = operators.add_operator(engine, "bench", Role.VIEWER, actor="bench")

        # every terminal has been heard once before the clock starts: the page shows a full fleet
        def first(number: int) -> None:
            fleet.record_heartbeat(engine, ids[number], Heartbeat.model_validate(heartbeat(number)))

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(first, range(len(ids))))
        engine.dispose()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        office = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "office", "serve", "--db", schema_url, "--port", str(port),
             "--workers", "2", "--pool-size", "10"],
            cwd="/", env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=server_log)
        _wait_for(base, office, server_log)

        operator = requests.Session()
        token = re.search(r'name="csrf" value="([^"]+)"', operator.get(base + "/login", timeout=10).text)
        assert token, "no CSRF token on the sign-in page"
        signed_in = operator.post(base + "/login", data={"csrf": token.group(1), "name": "bench", "password": password,
                                                         "next": "/fleet"}, timeout=30, allow_redirects=False)
        assert signed_in.status_code == 303, signed_in.text[:500]

        beats: list[float] = []
        uploads: list[float] = []
        errors = {"heartbeat": 0, "upload": 0}
        stop = time.monotonic() + seconds
        local = threading.local()

        def session() -> requests.Session:
            if not hasattr(local, "session"):
                local.session = requests.Session()
            return local.session

        # Each terminal's moment in the minute, drawn once (alike in every run): independent
        # terminals' heartbeats sometimes come close together, as a real fleet's do, but never
        # in step. (The senders once all started at the same moment with the same step, so the
        # heartbeats came 16 at once twice a second and queued behind each other.)
        draw = random.Random(len(ids))
        moments = [draw.uniform(0, INTERVAL_S) for _ in ids]

        def terminal_load(sender: int) -> None:
            """This sender's share of the terminals, each heartbeating every INTERVAL_S at its moment."""
            mine = sorted(range(sender, len(ids), SENDERS), key=moments.__getitem__)
            step = 0
            while time.monotonic() < stop:
                number = mine[step % len(mine)]
                due = began_at + moments[number] + step // len(mine) * INTERVAL_S
                if due > time.monotonic():
                    time.sleep(due - time.monotonic())
                terminal = ids[number]
                auth = HmacAuth(terminal, secrets[terminal])
                began = time.perf_counter()
                answer = session().post(base + "/api/v1/heartbeat", json=heartbeat(number), auth=auth, timeout=30,
                                        headers=ANEW)
                beats.append(time.perf_counter() - began)
                errors["heartbeat"] += answer.status_code != 200
                if step % (UPLOAD_EVERY_S // INTERVAL_S) == 0:
                    item = submission(terminal, step + 1, rows[(number + step) % len(rows)])
                    began = time.perf_counter()
                    answer = session().post(base + "/api/v1/submissions", json={"items": [item]}, auth=auth,
                                            timeout=30, headers=ANEW)
                    uploads.append(time.perf_counter() - began)
                    errors["upload"] += answer.status_code != 200
                step += 1

        pages: list[float] = []
        size = 0
        began_at = time.monotonic()
        with ThreadPoolExecutor(SENDERS) as pool:
            futures = [pool.submit(terminal_load, sender) for sender in range(SENDERS)]
            while time.monotonic() < stop:
                began = time.perf_counter()
                answer = operator.get(base + "/fleet", timeout=30)
                pages.append(time.perf_counter() - began)
                assert answer.status_code == 200, answer.status_code
                size = len(answer.content)
                time.sleep(0.5)
            for future in futures:
                future.result()
        served = _office_latency(requests.get(base + "/metrics", timeout=30).text, "POST", "/api/v1/heartbeat")
    finally:
        if office is not None:
            office.terminate()
            office.wait(20)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    report({
        "benchmark": "office_fleet", "database": "postgresql", "workers": 2, "terminals": args.terminals,
        "seconds": seconds, "heartbeats": len(beats), "uploads": len(uploads), "errors": errors,
        "fleet_page_ms": {"p50": round(percentile(pages, 0.5) * 1000, 1), "p99": round(percentile(pages, 0.99) * 1000, 1),
                          "renders": len(pages), "bytes": size},
        # as the simulated terminals saw it (their own queueing for a core included) and as the
        # office measured it, from request in to answer out, authentication included (its
        # /metrics histogram): the goal's figure is the office's
        "heartbeat_ms": {"p50": round(percentile(beats, 0.5) * 1000, 1), "p99": round(percentile(beats, 0.99) * 1000, 1)},
        "heartbeat_at_office_ms": served,
        "upload_ms_p99": round(percentile(uploads, 0.99) * 1000, 1) if uploads else None,
        "goals_ms": {"fleet_page": 300, "heartbeat_p99": 50},
        # the simulated fleet, the operator and the office share this machine: its load says how
        # much of each time was waiting for a core
        "cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 1),
    })


def _office_latency(exposition: str, method: str, route: str) -> dict[str, float]:
    """p50 and p99 of one route from the office's latency histogram, interpolated within its
    buckets as Prometheus's histogram_quantile does, and the share answered within 50 ms."""
    buckets: list[tuple[float, float]] = []
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if (sample.name == "kiosk_office_request_seconds_bucket" and sample.labels.get("method") == method
                    and sample.labels.get("route") == route):
                buckets.append((float(sample.labels["le"]), sample.value))
    buckets.sort()
    total = buckets[-1][1]

    def quantile(share: float) -> float:
        rank, below, lower = share * total, 0.0, 0.0
        for upper, count in buckets:
            if count >= rank:
                if upper == float("inf"):
                    return lower
                return lower + (upper - lower) * (rank - below) / max(count - below, 1e-9)
            below, lower = count, upper
        return lower

    within = next(count for upper, count in buckets if upper >= 0.05)
    return {"p50": round(quantile(0.5) * 1000, 1), "p99": round(quantile(0.99) * 1000, 1),
            "within_50_ms": round(within / total, 3), "requests": int(total)}


def _wait_for(base: str, process: subprocess.Popen, log: Any) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    log.seek(0)
    raise RuntimeError(f"the office did not start: {log.read().decode()[-2000:]}")


if __name__ == "__main__":
    main()
