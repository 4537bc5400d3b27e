"""Schemathesis against the office's own OpenAPI, signed as a real terminal: no input gives a 500;
and unsigned: whatever the body or parameters, a terminal endpoint answers 401 (or 413).

Kept short (a few dozen examples per operation, well under 30 s); the hand-written cases in
test_office_api.py pin the exact refusals.
"""

from __future__ import annotations

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

from tests.sync.support import OfficeServer, load_office_directory, meter_rows

EXAMPLES = 60


def test_no_input_makes_the_office_fail(sqlite_office: Engine) -> None:
    load_office_directory(sqlite_office, meter_rows(5))
    with OfficeServer(sqlite_office) as office:
        session = office.signed_session("kiosk-1", office.terminal("kiosk-1"))
        schema = schemathesis.openapi.from_dict(office.app.openapi())
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {operation.path for operation in operations} == {
            "/api/v1/submissions", "/api/v1/directory", "/api/v1/tariffs", "/api/v1/heartbeat", "/healthz",
            "/billing/v1/readings"}
        failures: list[str] = []
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def call(case: schemathesis.Case) -> None:
                response = case.call(base_url=office.url, session=session, timeout=10)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.path}: {response.status_code} {response.text[:200]}")
                # a signed, schema-conforming request must get past authentication
                assert response.status_code != 401, response.text

            call()
        assert not failures, failures


def test_unsigned_requests_are_refused_before_their_body_is_read(sqlite_office: Engine) -> None:
    with OfficeServer(sqlite_office) as office:
        office.terminal("kiosk-1")
        schema = schemathesis.openapi.from_dict(office.app.openapi())
        operations = [result.ok() for result in schema.get_all_operations()
                      if result.ok().path.startswith("/api/")]
        answers: list[tuple[str, int]] = []
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES // 2, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def call(case: schemathesis.Case) -> None:
                response = case.call(base_url=office.url, session=requests.Session(), timeout=10)
                answers.append((f"{case.method} {case.path}", response.status_code))

            call()
        assert answers and {status for _, status in answers} <= {401, 413}, [a for a in answers if a[1] not in (401, 413)]
