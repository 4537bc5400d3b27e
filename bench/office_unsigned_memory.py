"""What unauthenticated uploads cost the office: the resident memory of a `kiosk office serve`
process before and after ten 2 MiB bodies at once, unsigned and then with forged signatures of a
provisioned terminal. Median growth of several runs, JSON on stdout."""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests
from sync_common import OfficeProcess, migrated

from sync import signing
from sync.office.database import open_engine
from sync.office.terminals import add_terminal
from sync.wire import API_PREFIX, MAX_BODY_BYTES

PATH = API_PREFIX + "/submissions"


def _forged(body: bytes) -> dict[str, str]:
    """Well-formed, current headers naming the provisioned terminal, signed with a wrong secret."""
    stamp, nonce = str(int(time.time())), secrets.token_urlsafe(18)
    return {signing.HEADER_TERMINAL: "kiosk-1", signing.HEADER_TIMESTAMP: stamp, signing.HEADER_NONCE: nonce,
            signing.HEADER_SIGNATURE: signing.signature("not-the-secret", "POST", PATH, stamp, nonce, body)}


def one_run(folder: Path, at_once: int) -> dict[str, int]:
    url = f"sqlite:///{folder / 'office.sqlite3'}"
    migrated(url)
    engine = open_engine(url)
    add_terminal(engine, "kiosk-1")
    engine.dispose()
    body = b"[" * MAX_BODY_BYTES
    office = OfficeProcess(url)

    def burst(forge: bool, count: int) -> None:
        headers = _forged(body) if forge else {}
        threads = [threading.Thread(target=requests.post, args=(office.url + PATH,),
                                    kwargs={"data": body, "headers": headers, "timeout": 120}) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    try:
        burst(False, 2)  # warm-up: code loaded, buffers allocated
        burst(True, 2)
        start = office.resident_kb()
        burst(False, at_once)
        unsigned = office.resident_kb()
        burst(True, at_once)
        after = office.resident_kb()
    finally:
        office.stop()
    return {"start_kb": start, "unsigned_growth_kb": unsigned - start, "forged_growth_kb": after - unsigned}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--at-once", type=int, default=10)
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            runs.append(one_run(Path(folder), args.at_once))
    print(json.dumps({
        "benchmark": "office_unsigned_memory", "bodies_at_once": args.at_once, "body_bytes": MAX_BODY_BYTES,
        "start_kb": statistics.median(run["start_kb"] for run in runs),
        "unsigned_growth_kb": statistics.median(run["unsigned_growth_kb"] for run in runs),
        "forged_growth_kb": statistics.median(run["forged_growth_kb"] for run in runs),
        "runs": runs, "goal": "a few MB at most (ten unsigned bodies grew it by 277 MB before)",
    }))


if __name__ == "__main__":
    main()
