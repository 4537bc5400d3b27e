"""Request signing shared by the terminal and the office (sync/PROTOCOL.md, "Authentication").

Each request carries the terminal id, a Unix timestamp, a random nonce and an HMAC-SHA256 over
the method, the path with its query as sent on the wire, the timestamp, the nonce and the body's
SHA-256. The timestamp bounds a replay to the clock window; the nonce, remembered by the office
for that window, refuses a replay inside it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import requests

HEADER_TERMINAL = "X-Kiosk-Terminal"
HEADER_TIMESTAMP = "X-Kiosk-Timestamp"
HEADER_NONCE = "X-Kiosk-Nonce"
HEADER_SIGNATURE = "X-Kiosk-Signature"

# How far a request's timestamp may be from the office's clock, either way.
CLOCK_WINDOW_SECONDS = 300
# Whole-text patterns, used with fullmatch: "$" alone would also match before a final newline.
TERMINAL_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"[0-9a-f]{64}")


def canonical_request(method: str, path: str, timestamp: str, nonce: str, body_digest: str) -> bytes:
    """``body_digest`` is the hex SHA-256 of the body, which the office computes as it streams in."""
    return "\n".join(("KIOSK-HMAC-SHA256", method.upper(), path, timestamp, nonce, body_digest)).encode()


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return signature_of_digest(secret, method, path, timestamp, nonce, hashlib.sha256(body).hexdigest())


def signature_of_digest(secret: str, method: str, path: str, timestamp: str, nonce: str, body_digest: str) -> str:
    message = canonical_request(method, path, timestamp, nonce, body_digest)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class HmacAuth(requests.auth.AuthBase):
    """Signs each prepared request as it leaves, so a retry is a new request with a new nonce."""

    def __init__(self, terminal_id: str, secret: str, clock=time.time) -> None:
        self.terminal_id = terminal_id
        self._secret = secret
        self._clock = clock

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        timestamp = str(int(self._clock()))
        nonce = secrets.token_urlsafe(18)
        path = request.path_url
        request.headers[HEADER_TERMINAL] = self.terminal_id
        request.headers[HEADER_TIMESTAMP] = timestamp
        request.headers[HEADER_NONCE] = nonce
        request.headers[HEADER_SIGNATURE] = signature(
            self._secret, request.method or "GET", path, timestamp, nonce, body
        )
        return request
