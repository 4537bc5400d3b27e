"""Drains the terminal's outbox to the office in batches.

All state that matters is in the store: an item leaves the queue only when the office's answer
for it was recorded, so a crash or a cut connection at any point means the item is sent again,
and the office answers ``duplicate`` for what it already holds. Rejected and conflicting items
leave the queue too (the store keeps them visible with the office's code and message): one bad
item must not stop the readings behind it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from sync.backoff import Backoff
from sync.client import OfficeClient, OfficeError, OfficeRefused, OfficeTime, OfficeUnavailable
from sync.ports import ItemResult, OutboxPort
from sync.wire import Heartbeat, HeartbeatAck

log = logging.getLogger(__name__)

# A whole batch refused as malformed (422) or too large (413) is split until the item at fault
# stands alone; that one is then recorded as rejected here, with the office's reason.
SPLIT_STATUSES = (413, 422)
# Heartbeats sent straight after one whose answer brought commands, to report their results;
# bounded, so an office that answers every heartbeat with a new command cannot keep us busy.
FOLLOW_UP_HEARTBEATS = 2


@dataclass
class UploadSummary:
    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    conflict: int = 0
    pending: int = 0
    error: str | None = None
    retry_after: float | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["retry_after"]
        return data


class Uploader:
    def __init__(
        self,
        outbox: OutboxPort,
        client: OfficeClient,
        *,
        batch_size: int = 100,
        backoff: Backoff | None = None,
        idle_interval: float = 30.0,
        heartbeat: Callable[[], Heartbeat] | None = None,
        heartbeat_interval: float = 300.0,
        answered: Callable[[Heartbeat, HeartbeatAck], bool] | None = None,
    ) -> None:
        self._outbox = outbox
        self._client = client
        self._batch_size = batch_size
        self._backoff = backoff or Backoff()
        self._idle_interval = idle_interval
        self._heartbeat = heartbeat
        self.heartbeat_interval = heartbeat_interval
        # Told of every answered heartbeat (the office's commands ride on the answer); True when
        # it has news for the office at once, such as the results of the commands it carried out.
        # Settable after construction, for a handler that needs this uploader itself.
        self.on_answer = answered
        self._beat_due = threading.Event()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # Passes of the background thread begun and ended, for send_now to wait on the right one.
        self._passes = threading.Condition()
        self._begun = self._ended = 0
        self._last_summary = UploadSummary()
        self.last_error: str | None = None

    @property
    def client(self) -> OfficeClient:
        """The connection to the office; only for work on the uploader's own thread (the office's
        commands, which arrive there)."""
        return self._client

    @property
    def office_time(self) -> OfficeTime | None:
        """The office's clock by the last answer the uploader got (any answer, a refusal too)."""
        return self._client.last_office_time

    # --- one pass ----------------------------------------------------------------------------

    def run_once(self) -> UploadSummary:
        """Send batches until the queue is empty or the office cannot be reached; never sleeps."""
        summary = UploadSummary()
        batch_size = self._batch_size
        while not self._stopping.is_set():
            items = self._outbox.pending(batch_size)
            if not items:
                break
            try:
                answer = self._client.upload(items)
            except OfficeRefused as exc:
                if exc.status not in SPLIT_STATUSES:
                    summary.error = str(exc)
                    break
                if len(items) > 1:
                    batch_size = max(1, len(items) // 2)
                    continue
                results = [ItemResult(_txn_id(items[0]), "rejected", "refused_by_office", str(exc)[:200])]
                summary.sent += 1
            except OfficeUnavailable as exc:
                summary.error, summary.retry_after = str(exc), exc.retry_after
                break
            else:
                summary.sent += len(items)
                results = _results_for(items, answer.results)
                batch_size = self._batch_size
            self._outbox.record_results(results)
            for result in results:
                setattr(summary, result.status, getattr(summary, result.status) + 1)
            if len(results) < len(items):
                summary.error = "the office did not answer for every item"
                break
        summary.pending = self._outbox.depth()
        self.last_error = summary.error
        return summary

    # --- in the background -------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="uploader", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Finish the request in flight (bounded by the client's timeouts) and end the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """A new item was queued: send now rather than at the next idle tick."""
        self._wake.set()

    def beat_now(self) -> None:
        """Something the office must learn at once (a customer calls for staff): a heartbeat
        now rather than at the next interval."""
        self._beat_due.set()
        self._wake.set()

    def send_now(self, timeout: float) -> UploadSummary | None:
        """Send what is queued now and wait up to ``timeout`` for the outcome (a technician's
        "send now"); None when the pass has not ended by then. With the background thread
        running, that thread makes the pass (the client is not shared between threads): the
        first one to begin after this call, which cuts short any backoff pause."""
        if self._thread is None:
            return self.run_once()
        with self._passes:
            wanted = self._begun + 1
            self._wake.set()
            if not self._passes.wait_for(lambda: self._ended >= wanted, timeout):
                return None
            return self._last_summary

    def _run(self) -> None:
        next_heartbeat = 0.0
        while not self._stopping.is_set():
            self._wake.clear()
            with self._passes:
                self._begun += 1
            try:
                summary = self.run_once()
            except Exception:  # the store or a bug: log it, keep the thread alive, back off
                log.exception("upload pass failed")
                summary = UploadSummary(error="internal error, see the log")
            with self._passes:
                self._ended, self._last_summary = self._begun, summary
                self._passes.notify_all()
            if summary.error:
                if self._backoff.failures == 0:
                    log.warning("office upload failed, backing off: %s", summary.error)
                delay = self._backoff.next_delay(summary.retry_after)
            else:
                self._backoff.reset()
                delay = self._idle_interval
            if self._heartbeat is not None and (self._beat_due.is_set() or time.monotonic() >= next_heartbeat):
                self._beat_due.clear()
                next_heartbeat = time.monotonic() + self.heartbeat_interval
                self.send_heartbeat()
            if not self._beat_due.is_set():
                self._wake.wait(delay)

    def send_heartbeat(self, compose: Callable[[], Heartbeat] | None = None) -> HeartbeatAck | None:
        """One heartbeat (``compose``, else the uploader's own), and as many more at once as the
        answers call for (the results of the commands an answer brought), a few at most; the
        last answer, or None when none came."""
        compose = compose or self._heartbeat
        assert compose is not None
        ack = None
        for _ in range(FOLLOW_UP_HEARTBEATS + 1):
            try:
                beat = compose()
                ack = self._client.heartbeat(beat)
                if self.on_answer is None or not self.on_answer(beat, ack):
                    break
            except OfficeError as exc:
                log.info("heartbeat not delivered: %s", exc)
                break
            except Exception:
                log.exception("heartbeat failed")
                break
        return ack


def _txn_id(item: dict[str, Any]) -> str:
    return str(item.get("txn_id", ""))


def _results_for(items: list[dict[str, Any]], outcomes: list[Any]) -> list[ItemResult]:
    """The office's answers for the items we sent, in our spelling of each txn_id; an answer for
    anything we did not send is ignored, and an item without an answer stays queued."""
    sent = {}
    for item in items:
        try:
            sent[uuid.UUID(_txn_id(item))] = _txn_id(item)
        except ValueError:
            sent[_txn_id(item)] = _txn_id(item)
    results = []
    for outcome in outcomes:
        try:
            key: Any = uuid.UUID(outcome.txn_id)
        except ValueError:
            key = outcome.txn_id
        txn_id = sent.pop(key, None)
        if txn_id is not None:
            results.append(ItemResult(txn_id, outcome.status, outcome.code, outcome.message))
    return results
