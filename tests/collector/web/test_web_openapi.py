"""The OpenAPI document against the live API: schemathesis finds no server error, no
undocumented status, no response that breaks its schema."""

from __future__ import annotations

import time

import pytest
import requests
import schemathesis
from conftest import WebSite
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from collector.web.app import openapi_document
from collector.web.seed import ping_record, signal_record, throughput_record

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


SKIPPED = {"/api/v1/logout", "/api/v1/events", "/api/v1/sms"}  # ends the session / never ends
# / signed by an SMS gateway, not a session (tests/collector/test_sms_lifeline.py)


# schemathesis's own strategies draw from `random`, which hypothesis deprecates.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_api_conforms_to_its_openapi_document(any_web_site: WebSite) -> None:
    """Every operation (bar logout and the endless stream), 20 generated requests each,
    valid and invalid ones, as a logged-in admin with the CSRF header."""
    web_site = any_web_site
    api = web_site.user("admin")
    schema = schemathesis.openapi.from_url(f"{web_site.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 28
    # The documented examples (site 3171011001005, ticket 1) exist.
    now = time.time_ns()
    web_site.ingest(
        "3171011001005",
        [
            signal_record(1, now - 10**9, mcc="510", mnc="10", name="T", rsrp=-90, cell_id=1),
            signal_record(2, now, mcc="510", mnc="10", name="T", rsrp=-91, cell_id=2),
            ping_record(3, now, rtts=[10.0, None]),
            throughput_record(4, now, mbps=12.5),
        ],
    )
    session = requests.Session()
    headers = {
        "X-CSRF-Token": api.csrf,
        "Cookie": f"pantau_session={api.cookies['pantau_session']}",
    }
    tried = []
    try:
        for operation in operations:
            if operation.path in SKIPPED:
                continue

            @given(
                case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
                | operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
            )
            @settings(
                max_examples=20,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            )
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(session=session, headers=headers, checks=CHECKS, timeout=30)

            run()
            tried.append(f"{operation.method.upper()} {operation.path}")
    finally:
        session.close()
    assert len(tried) == 25
    # The session survived everything the run sent (a login attempt never ends it).
    assert api.get("/api/v1/me").status_code == 200


def test_the_document_is_served_and_describes_every_route(web_site: WebSite) -> None:
    served = requests.get(f"{web_site.url}/api/v1/openapi.json", timeout=10).json()
    assert served == openapi_document()
    assert served["openapi"] == "3.0.3"
    routes = {
        (route.method, route.resource.canonical)
        for route in web_site.web_app.router.routes()
        if route.resource is not None
        and (
            route.resource.canonical.startswith("/api/")
            or route.resource.canonical in ("/healthz", "/metrics")
        )
        and route.method != "HEAD"
    }
    documented = {(m.upper(), p) for p, item in served["paths"].items() for m in item}
    assert routes == documented
    assert set(served["components"]["securitySchemes"]) == {"session", "csrf"}
