"""The OpenAPI 3.0.3 document of the REST API, written by hand.

It describes every response the API gives, errors included, exactly (objects do
not allow keys they do not list); the tests run schemathesis against a live
collector with it, so the document and the code cannot drift apart unnoticed.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from pantau.core.sites import PROVINCES

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": _REF + name}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _obj(properties: dict[str, Any], *, required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


STR = {"type": "string"}
NUM = {"type": "number"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
N_STR, N_NUM, N_INT, N_TIME = _nullable(STR), _nullable(NUM), _nullable(INT), _nullable(TIME)
STATUS = {"type": "string", "enum": ["ok", "degraded", "down", "silent"]}
TICKET_STATE = {"type": "string", "enum": ["open", "acknowledged", "resolved"]}
SITE_CODE = {"type": "string", "pattern": "^[0-9]{13}$", "example": "3171011001005"}
PROVINCE = {"type": "string", "enum": sorted(PROVINCES)}

ERROR_CODES = [
    "bad_request",
    "unauthorized",
    "login_failed",
    "csrf",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "too_many_attempts",
    "too_large",
    "internal",
]

SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": {"type": "string", "enum": ERROR_CODES}, "message": STR}),
    "Account": _obj(
        {
            "username": STR,
            "role": {"type": "string", "enum": ["viewer", "operator", "admin"]},
            "operator": N_STR,
            "operator_name": N_STR,
            "csrf_token": STR,
            "expires": TIME,
        }
    ),
    "Login": _obj(
        {"username": {"type": "string", "maxLength": 200}, "password": {"type": "string"}}
    ),
    "Note": _obj({"note": {"type": "string", "maxLength": 2000}}, required=[]),
    "MapState": _obj(
        {
            "version": INT,
            "columns": {
                "type": "array",
                "items": {
                    "type": "string",
                    "enum": ["code", "lat", "lon", "status", "operator", "province", "problems"],
                },
            },
            "rows": {"type": "array", "items": _ref("MapRow")},
        }
    ),
    "MapRow": {
        "type": "array",
        "description": "code, lat, lon, status, operator, province, problems",
        "minItems": 7,
        "maxItems": 7,
        "items": {},
    },
    "SiteSummary": _obj(
        {
            "code": SITE_CODE,
            "province": STR,
            "province_name": N_STR,
            "operator": N_STR,
            "operator_name": N_STR,
            "status": STATUS,
            "problems": {"type": "array", "items": STR},
            "lat": N_NUM,
            "lon": N_NUM,
            "located": _nullable({"type": "string", "enum": ["gnss", "province"]}),
            "rat": N_STR,
            "reg_state": N_STR,
            "cell_id": N_INT,
            "rsrp_dbm": N_NUM,
            "rsrq_db": N_NUM,
            "sinr_db": N_NUM,
            "rssi_dbm": N_NUM,
            "signal_time": N_TIME,
            "ping_median_ms": N_NUM,
            "loss_ratio": N_NUM,
            "ping_time": N_TIME,
            "last_seen": N_TIME,
            "records": INT,
        }
    ),
    "Cell": _obj(
        {
            "cell_id": N_INT,
            "rat": N_STR,
            "reg_state": N_STR,
            "operator": N_STR,
            "operator_name": N_STR,
            "time": TIME,
        }
    ),
    "Ticket": _obj(
        {
            "id": INT,
            "site_code": STR,
            "province": STR,
            "operator": STR,
            "operator_name": N_STR,
            "problem": STR,
            "state": TICKET_STATE,
            "route": STR,
            "first_bad": TIME,
            "last_bad": TIME,
            "opened": TIME,
            "updated": TIME,
            "resolved": N_TIME,
            "resolved_by": N_STR,
            "historical": BOOL,
            "escalated": N_TIME,
            "reopen_count": INT,
            "evidence": {"type": "object", "additionalProperties": True},
        }
    ),
    "TicketEvent": _obj(
        {
            "time": TIME,
            "action": {
                "type": "string",
                "enum": ["opened", "updated", "acknowledged", "resolved", "reopened", "escalated"],
            },
            "actor": STR,
            "note": STR,
        }
    ),
    "SignalItem": _obj(
        {
            "time": TIME,
            "rat": N_STR,
            "rsrp_dbm": N_NUM,
            "rsrq_db": N_NUM,
            "sinr_db": N_NUM,
            "rssi_dbm": N_NUM,
            "cell_id": N_INT,
            "operator": N_STR,
            "lat": N_NUM,
            "lon": N_NUM,
        }
    ),
    "PingItem": _obj(
        {
            "time": TIME,
            "target": STR,
            "method": STR,
            "sent": INT,
            "received": INT,
            "loss_ratio": NUM,
            "rtts_ms": {"type": "array", "items": N_NUM},
            "median_ms": N_NUM,
            "min_ms": N_NUM,
            "max_ms": N_NUM,
        }
    ),
    "ThroughputItem": _obj(
        {"time": TIME, "direction": N_STR, "mbps": N_NUM, "bytes": INT, "duration_s": NUM}
    ),
    "EventItem": _obj(
        {
            "time": TIME,
            "kind": {"type": "string", "enum": ["cell", "operator", "rat"]},
            "from": {"anyOf": [STR, INT]},
            "to": {"anyOf": [STR, INT]},
        }
    ),
    "Province": _obj(
        {
            "code": STR,
            "name": STR,
            "counts": _obj({"ok": INT, "degraded": INT, "down": INT, "silent": INT}),
        }
    ),
    "CoverageProperties": _obj(
        {
            "site_code": STR,
            "province": STR,
            "province_name": N_STR,
            "operator": N_STR,
            "operator_name": N_STR,
            "rat": N_STR,
            "lat": N_NUM,
            "lon": N_NUM,
            "located": N_STR,
            "rsrp_dbm": N_NUM,
            "rsrq_db": N_NUM,
            "sinr_db": N_NUM,
            "ping_median_ms": N_NUM,
            "loss_ratio": N_NUM,
            "samples": INT,
            "grade": {"type": "string", "enum": ["good", "fair", "poor", "none", "unknown"]},
        }
    ),
    "Coverage": _obj(
        {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {
                "type": "array",
                "items": _obj(
                    {
                        "type": {"type": "string", "enum": ["Feature"]},
                        "geometry": _nullable(
                            _obj(
                                {
                                    "type": {"type": "string", "enum": ["Point"]},
                                    "coordinates": {
                                        "type": "array",
                                        "items": NUM,
                                        "minItems": 2,
                                        "maxItems": 2,
                                    },
                                }
                            )
                        ),
                        "properties": _ref("CoverageProperties"),
                    }
                ),
            },
        }
    ),
}

SCHEMAS["SiteDetail"] = copy.deepcopy(SCHEMAS["SiteSummary"])
SCHEMAS["SiteDetail"]["properties"].update(
    {
        "agents": {"type": "array", "items": STR},
        "cell": {"nullable": True, "allOf": [_ref("Cell")]},
        "tickets": {"type": "array", "items": _ref("Ticket")},
    }
)
SCHEMAS["SiteDetail"]["required"] = list(SCHEMAS["SiteDetail"]["properties"])
SCHEMAS["TicketDetail"] = copy.deepcopy(SCHEMAS["Ticket"])
SCHEMAS["TicketDetail"]["properties"]["events"] = {
    "type": "array",
    "items": _ref("TicketEvent"),
}
SCHEMAS["TicketDetail"]["required"] = list(SCHEMAS["TicketDetail"]["properties"])


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str, **headers: Any) -> dict[str, Any]:
    response = _json(_ref("Error"), description)
    if headers:
        response["headers"] = headers
    return response


BAD = _error("A bad parameter or body: the message says which")
UNAUTHORIZED = _error("Not logged in, or the session has ended")
CSRF_OR_ROLE = _error("No or a wrong X-CSRF-Token header (csrf), or the role may not (forbidden)")
NOT_FOUND = _error("Unknown, or not visible to this account")


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


OPERATOR_Q = _query(
    "operator",
    {"type": "string", "enum": ["510-10", "510-01", "510-11", "telkomsel", "indosat", "xl"]},
    "A network: MCC-MNC or a name (telkomsel, indosat, im3, tri, xl, axis, smartfren)",
)
TICKET_OPERATOR_Q = _query(
    "operator",
    {
        "type": "string",
        "enum": [*OPERATOR_Q["schema"]["enum"], "field-team", "satellite", "unknown"],
    },
    "A network (MCC-MNC or a name) or a queue: field-team, satellite, unknown",
)
PROVINCE_Q = _query("province", PROVINCE, "A two-digit province code")
PROBLEM_Q = _query(
    "problem",
    {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,40}$"},
    "A problem name, e.g. WEAK_SIGNAL",
)
HOURS_Q = _query(
    "hours",
    {"type": "integer", "minimum": 1, "maximum": 168, "default": 24},
    "The window, in hours back from now",
)
CODE_P = {"name": "code", "in": "path", "required": True, "schema": SITE_CODE}
ID_P = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807, "example": 1},
}
SESSION: list[dict[str, list[str]]] = [{"session": []}]
SESSION_CSRF: list[dict[str, list[str]]] = [{"session": [], "csrf": []}]


def _get(
    summary: str,
    ok: dict[str, Any],
    *,
    params: list[dict[str, Any]] | None = None,
    not_found: bool = False,
    tag: str = "sites",
) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": ok, "400": BAD, "401": UNAUTHORIZED}
    if not_found:
        responses["404"] = NOT_FOUND
    return {
        "get": {
            "tags": [tag],
            "summary": summary,
            "operationId": summary.lower().replace(" ", "_").replace("'", ""),
            "security": SESSION,
            "parameters": params or [],
            "responses": responses,
        }
    }


def _ticket_action(summary: str, operation_id: str) -> dict[str, Any]:
    return {
        "post": {
            "tags": ["tickets"],
            "summary": summary,
            "operationId": operation_id,
            "security": SESSION_CSRF,
            "parameters": [ID_P],
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": _ref("Note")}},
            },
            "responses": {
                "200": _json(_ref("TicketDetail"), "The ticket afterwards, with its history"),
                "400": BAD,
                "401": UNAUTHORIZED,
                "403": CSRF_OR_ROLE,
                "404": NOT_FOUND,
                "409": _error("Not allowed in the ticket's state"),
            },
        }
    }


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/login": {
            "post": {
                "tags": ["accounts"],
                "summary": "Log in",
                "operationId": "login",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("Login")}},
                },
                "responses": {
                    "200": {
                        **_json(_ref("Account"), "A session: the cookie and the CSRF token"),
                        "headers": {
                            "Set-Cookie": {
                                "schema": STR,
                                "description": "pantau_session=...; HttpOnly; SameSite=Strict",
                            }
                        },
                    },
                    "400": BAD,
                    "401": _error("Wrong user name or password"),
                    "429": _error(
                        "Too many failed logins for this user name",
                        **{"Retry-After": {"schema": INT, "description": "seconds"}},
                    ),
                },
            }
        },
        "/api/v1/logout": {
            "post": {
                "tags": ["accounts"],
                "summary": "Log out",
                "operationId": "logout",
                "security": SESSION_CSRF,
                "responses": {
                    "204": {"description": "The session has ended"},
                    "401": UNAUTHORIZED,
                    "403": CSRF_OR_ROLE,
                },
            }
        },
        "/api/v1/me": _get(
            "The session's account", _json(_ref("Account"), "The account"), tag="accounts"
        ),
        "/api/v1/map": _get("The map", _json(_ref("MapState"), "One row per visible site")),
        "/api/v1/sites": _get(
            "Sites",
            _json(
                _obj({"sites": {"type": "array", "items": _ref("SiteSummary")}}),
                "The visible sites matching every filter",
            ),
            params=[
                OPERATOR_Q,
                PROVINCE_Q,
                _query("status", STATUS, "ok, degraded, down or silent"),
                PROBLEM_Q,
            ],
        ),
        "/api/v1/sites/{code}": _get(
            "A site",
            _json(_ref("SiteDetail"), "The site, its kits, cell and tickets"),
            params=[CODE_P],
            not_found=True,
        ),
        "/api/v1/sites/{code}/measurements": _get(
            "A site's measurements",
            _json(
                _obj(
                    {
                        "site": SITE_CODE,
                        "kind": {
                            "type": "string",
                            "enum": ["signal", "ping", "throughput", "events"],
                        },
                        "hours": INT,
                        "items": {
                            "type": "array",
                            "items": {
                                "anyOf": [
                                    _ref("SignalItem"),
                                    _ref("PingItem"),
                                    _ref("ThroughputItem"),
                                    _ref("EventItem"),
                                ]
                            },
                        },
                    }
                ),
                "The items of one kind, oldest first",
            ),
            params=[
                CODE_P,
                _query(
                    "kind",
                    {
                        "type": "string",
                        "enum": ["signal", "ping", "throughput", "events"],
                        "default": "signal",
                    },
                    "What to list",
                ),
                HOURS_Q,
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 10000, "default": 2000},
                    "At most this many (the newest)",
                ),
            ],
            not_found=True,
        ),
        "/api/v1/provinces": _get(
            "Provinces",
            _json(
                {"type": "array", "items": _ref("Province")},
                "Every province with its visible sites counted by status",
            ),
        ),
        "/api/v1/tickets": _get(
            "Tickets",
            _json(
                _obj({"tickets": {"type": "array", "items": _ref("Ticket")}}),
                "Tickets matching every filter, newest first",
            ),
            params=[
                _query(
                    "state",
                    {
                        "type": "string",
                        "enum": ["active", "open", "acknowledged", "resolved", "all"],
                        "default": "active",
                    },
                    "active: open or acknowledged",
                ),
                TICKET_OPERATOR_Q,
                PROBLEM_Q,
                _query("site", SITE_CODE, "A TPS code"),
                PROVINCE_Q,
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                    "At most this many",
                ),
            ],
            tag="tickets",
        ),
        "/api/v1/tickets/{id}": _get(
            "A ticket",
            _json(_ref("TicketDetail"), "The ticket and its history"),
            params=[ID_P],
            not_found=True,
            tag="tickets",
        ),
        "/api/v1/tickets/{id}/ack": _ticket_action("Acknowledge a ticket", "acknowledge_ticket"),
        "/api/v1/tickets/{id}/resolve": _ticket_action("Resolve a ticket", "resolve_ticket"),
        "/api/v1/coverage": {
            "get": {
                "tags": ["sites"],
                "summary": "Coverage",
                "operationId": "coverage",
                "security": SESSION,
                "parameters": [
                    OPERATOR_Q,
                    PROVINCE_Q,
                    _query(
                        "format",
                        {"type": "string", "enum": ["geojson", "csv"], "default": "geojson"},
                        "GeoJSON or CSV",
                    ),
                    HOURS_Q,
                ],
                "responses": {
                    "200": {
                        "description": "A download: one entry per visible site",
                        "headers": {"Content-Disposition": {"schema": STR}},
                        "content": {
                            "application/geo+json": {"schema": _ref("Coverage")},
                            "text/csv": {"schema": STR},
                        },
                    },
                    "400": BAD,
                    "401": UNAUTHORIZED,
                },
            }
        },
        "/api/v1/events": {
            "get": {
                "tags": ["live"],
                "summary": "Live changes (Server-Sent Events)",
                "operationId": "events",
                "security": SESSION,
                "parameters": [_query("site", SITE_CODE, "Also stream this site's readings")],
                "responses": {
                    "200": {
                        "description": "event: hello, sites, tickets, reading, resync",
                        "content": {"text/event-stream": {"schema": STR}},
                    },
                    "400": BAD,
                    "401": UNAUTHORIZED,
                    "404": NOT_FOUND,
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "tags": ["meta"],
                "summary": "This document",
                "operationId": "openapi",
                "security": [],
                "responses": {
                    "200": _json({"type": "object"}, "The OpenAPI 3.0.3 document"),
                },
            }
        },
        "/healthz": {
            "get": {
                "tags": ["meta"],
                "summary": "Liveness",
                "operationId": "healthz",
                "security": [],
                "responses": {
                    "200": _json(
                        _obj({"status": {"type": "string", "enum": ["ok"]}}), "The server runs"
                    )
                },
            }
        },
        "/metrics": {
            "get": {
                "tags": ["meta"],
                "summary": "Prometheus metrics",
                "operationId": "metrics",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The text exposition format",
                        "content": {"text/plain": {"schema": STR}},
                    }
                },
            }
        },
    }


@cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Pantau operations centre",
            "version": "1",
            "description": "The collector's REST API (docs/operations.md).",
        },
        "servers": [{"url": "/"}],
        "security": SESSION,
        "tags": [{"name": n} for n in ("accounts", "sites", "tickets", "live", "meta")],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "pantau_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """A fresh copy of the document (callers may change theirs)."""
    return copy.deepcopy(_document())
