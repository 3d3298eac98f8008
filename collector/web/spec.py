"""The route table's entries (:class:`Operation`) and the OpenAPI document made from them.

Each routes module lists its operations: method, path, handler and the typed models
of its query string, path parameters, body and responses. :func:`bind` wraps a
handler so that those models validate the request before it runs (a failure is a
400 naming the parameter); :func:`openapi_document` generates the OpenAPI 3.0.3
document from the same table (pydantic's ``models_json_schema``, with
``#/components/schemas/...`` references), so the document cannot describe an API
other than the one served.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from collector.web.context import SAFE_METHODS, ApiError, Principal, WebContext, bad
from collector.web.models import Error
from collector.web.origin import same_origin
from collector.web.params import NoQuery

#: The served document (set by :func:`collector.web.app.make_app`).
DOCUMENT: web.AppKey[dict[str, Any]] = web.AppKey("pantau_openapi", dict)
#: Where :func:`bind` leaves the validated query string, path parameters and body.
_VALIDATED = {
    part: web.RequestKey(f"pantau_{part}", BaseModel) for part in ("query", "path", "body")
}
_PRINCIPAL = web.RequestKey("pantau_principal", Principal)
Handler = Callable[[WebContext, web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)
_REF = "#/components/schemas/{model}"

#: Documented error responses, by status.
BAD = (
    400,
    "A bad parameter or body (bad_request: the message says which), or a cursor that is "
    "not a next_cursor of this list (bad_cursor)",
)
UNAUTHORIZED = (401, "Not logged in, or the session has ended")
CSRF_OR_ROLE = (403, "No or a wrong X-CSRF-Token header (csrf), or the role may not (forbidden)")
NOT_FOUND = (404, "Unknown, or not visible to this account")
READ_ERRORS = (BAD, UNAUTHORIZED)


@dataclass(frozen=True)
class Operation:
    """One route: what it takes, what it answers, and the handler that does it."""

    method: str
    path: str
    handler: Handler
    summary: str
    operation_id: str
    tag: str
    #: The 200 answer: a model (JSON), ``(model, "list")`` for a JSON array, or the
    #: ``content`` map of a non-JSON answer.
    ok: type[BaseModel] | tuple[type[BaseModel], str] | dict[str, Any] | None = None
    ok_description: str = ""
    ok_status: int = 200
    ok_headers: dict[str, Any] = field(default_factory=dict)
    #: Validated query string (None: not checked, e.g. pages), path and body models.
    query: type[BaseModel] | None = NoQuery
    path_params: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_required: bool = False
    #: Who may call it: a session (and, for a state change, its CSRF token) is checked
    #: before anything in the request is read, so a stranger learns nothing from
    #: validation messages. ``()``: the route is public or checks for itself.
    security: Sequence[dict[str, list[str]]] = ({"session": []},)
    #: The role a session needs beyond being logged in ("operator": operator or admin).
    role: str | None = None
    errors: Sequence[tuple[int, str] | tuple[int, str, dict[str, Any]]] = READ_ERRORS
    documented: bool = True
    #: A check on the request's headers alone, before the query, path or body is read
    #: (it raises :class:`ApiError` to refuse): the login's throttle refuses a flood
    #: before any work is done for it.
    screen: Callable[[WebContext, web.Request], Awaitable[None]] | None = None


# -- validating requests ---------------------------------------------------------------------


def _message(exc: ValidationError, where: str) -> str:
    err = exc.errors(include_url=False)[0]
    name = ".".join(str(part) for part in err["loc"]) or where
    kind, msg = err["type"], str(err["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return f"unknown {where} {name!r}"
    if kind == "missing":
        return f"{where} {name!r} is missing"
    if kind == "literal_error":
        return f"{name} must be {err.get('ctx', {}).get('expected')}, got {err['input']!r}"
    return msg if msg.startswith(name) else f"{name}: {msg}"


def _validate(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        bad(_message(exc, where))


def parse_query(request: web.Request, model: type[M]) -> M:
    allowed = list(model.model_fields)
    for key in request.query:
        if key not in allowed:
            bad(f"unknown parameter {key!r} (allowed: {', '.join(allowed) or 'none'})")
        if len(request.query.getall(key)) > 1:
            bad(f"parameter {key!r} given more than once")
    given = {k: v for k, v in request.query.items() if v != ""}
    return _validate(model, given, "parameter")


async def parse_body(request: web.Request, model: type[M], *, required: bool) -> M:
    raw = await request.read()
    if not raw.strip():
        if required:
            bad("the request needs a JSON object body")
        return _validate(model, {}, "field")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        bad("the body is not valid JSON")
    if not isinstance(body, dict):
        bad("the body must be a JSON object")
    return _validate(model, body, "field")


def bind(op: Operation, ctx: WebContext) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler of ``op``: authenticates (401/403 first), runs its
    ``screen``, validates the request (400), then runs ``op.handler``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.method not in SAFE_METHODS:
            check_change(request, needs_body=op.body_required)
        if op.security:
            request[_PRINCIPAL] = await ctx.require(request, role=op.role)
        if op.screen is not None:
            await op.screen(ctx, request)
        if op.query is not None:
            request[_VALIDATED["query"]] = parse_query(request, op.query)
        if op.path_params is not None:
            request[_VALIDATED["path"]] = _validate(
                op.path_params, dict(request.match_info), "path"
            )
        if op.body is not None:
            request[_VALIDATED["body"]] = await parse_body(
                request, op.body, required=op.body_required
            )
        return await op.handler(ctx, request)

    return handle


def check_change(request: web.Request, *, needs_body: bool) -> None:
    """A state-changing request must come from this site's pages (or from no browser):
    an ``Origin``, else a ``Referer``, naming another site is 403; and its body, when it
    has one (or needs one), must be declared JSON (415): a form or ``text/plain`` body,
    which another site's page may send without asking, is never read."""
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if claimed is not None and not same_origin(claimed, request.host):
        raise ApiError(403, "cross_origin", "a state-changing request from another site is refused")
    if (needs_body or request.body_exists) and request.content_type != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            f"the body must be JSON (Content-Type: application/json), got {request.content_type}",
        )


def authenticated(request: web.Request) -> Principal:
    """Who is calling a route whose ``security`` :func:`bind` checked."""
    principal = request.get(_PRINCIPAL)
    if not isinstance(principal, Principal):
        raise ApiError(500, "internal", "the route table asks for no session on this route")
    return principal


def given(request: web.Request, key: str, model: type[M]) -> M:
    """The validated ``query``, ``path`` or ``body`` of ``request`` (see :func:`bind`)."""
    value = request.get(_VALIDATED[key])
    if not isinstance(value, model):
        raise ApiError(500, "internal", f"the route table gives no {key} model {model.__name__}")
    return value


def json_response(value: BaseModel | Sequence[BaseModel], status: int = 200) -> web.Response:
    if isinstance(value, BaseModel):
        data: Any = value.model_dump(mode="json", by_alias=True)
    else:
        data = [v.model_dump(mode="json", by_alias=True) for v in value]
    return web.json_response(data, status=status, dumps=strict_json)


def strict_json(value: Any) -> str:
    """JSON that every parser takes: a non-finite number is a bug here (ValueError, a
    500), never ``Infinity`` or ``NaN`` in a response."""
    return json.dumps(value, allow_nan=False)


# -- the OpenAPI document --------------------------------------------------------------------


def _openapi30(schema: Any) -> Any:
    """JSON Schema (pydantic's 2020-12 dialect) as OpenAPI 3.0 wants it: ``X | None``
    becomes ``nullable``, ``const`` an ``enum`` of one, no generated titles."""
    if isinstance(schema, list):
        return [_openapi30(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _openapi30(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))}
    if "const" in out:
        out["enum"] = [out.pop("const")]
    options = out.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1 and "$ref" not in rest[0]:
            out = {**rest[0], **out, "nullable": True}
        elif len(rest) == 1:
            out = {**out, "nullable": True, "allOf": rest}
        else:
            out = {**out, "nullable": True, "anyOf": rest}
    return out


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = schema.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        if len(rest) == 1:
            extra = {k: v for k, v in schema.items() if k != "anyOf"}
            return {**rest[0], **extra}
    return schema


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = []
    for where, model in (("path", op.path_params), ("query", op.query)):
        if model is None:
            continue
        props = model.model_json_schema(mode="validation").get("properties", {})
        for name, raw in props.items():
            schema = _openapi30(_non_null(raw))
            description = schema.pop("description", None)
            if schema.get("default", 0) is None:
                del schema["default"]
            param = {"name": name, "in": where, "required": where == "path", "schema": schema}
            if description:
                param["description"] = description
            params.append(param)
    return params


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": _REF.format(model=model.__name__)}


def _operation(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if isinstance(op.ok, dict):
        ok: dict[str, Any] = {"description": op.ok_description, "content": op.ok}
    elif isinstance(op.ok, tuple):
        ok = _json({"type": "array", "items": _ref(op.ok[0])}, op.ok_description)
    elif op.ok is not None:
        ok = _json(_ref(op.ok), op.ok_description)
    else:
        ok = {"description": op.ok_description}
    if op.ok_headers:
        ok["headers"] = op.ok_headers
    responses[str(op.ok_status)] = ok
    for status, description, *headers in op.errors:
        response = _json(_ref(Error), description)
        if headers:
            response["headers"] = headers[0]
        responses[str(status)] = response
    if op.method not in SAFE_METHODS:  # check_change's refusals, on every state change
        forbidden = responses.get("403", {}).get("description")
        responses["403"] = _json(
            _ref(Error),
            f"{forbidden}, or sent from another site (cross_origin)"
            if forbidden
            else "Sent from another site (cross_origin)",
        )
        responses["415"] = _json(_ref(Error), "A body that is not declared application/json")
    out: dict[str, Any] = {
        "tags": [op.tag],
        "summary": op.summary,
        "operationId": op.operation_id,
        "security": [dict(s) for s in op.security],
    }
    params = _parameters(op)
    if params or op.query is not None or op.path_params is not None:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    out["responses"] = responses
    return out


def _schemas(ops: Sequence[Operation]) -> dict[str, Any]:
    wanted: dict[type[BaseModel], str] = {Error: "serialization"}
    for op in ops:
        if isinstance(op.ok, tuple):
            wanted[op.ok[0]] = "serialization"
        elif isinstance(op.ok, type):
            wanted[op.ok] = "serialization"
        if op.body is not None:
            wanted[op.body] = "validation"
    for content in (op.ok for op in ops if isinstance(op.ok, dict)):
        for media in content.values():
            model = media.get("model")
            if model is not None:
                wanted[model] = "serialization"
    _, top = models_json_schema(
        [(m, mode) for m, mode in wanted.items()],  # type: ignore[misc]
        ref_template=_REF,
    )
    return {name: _openapi30(s) for name, s in sorted(top.get("$defs", {}).items())}


def _content(content: dict[str, Any]) -> dict[str, Any]:
    """A non-JSON answer's content map, a model named by ``{"model": M}`` as a ref."""
    return {
        media: {"schema": _ref(spec["model"])} if "model" in spec else spec
        for media, spec in content.items()
    }


def openapi_document(ops: Sequence[Operation]) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document of the documented operations in ``ops``."""
    documented = [op for op in ops if op.documented]
    paths: dict[str, dict[str, Any]] = {}
    for op in documented:
        shown = (
            Operation(**{**op.__dict__, "ok": _content(op.ok)}) if isinstance(op.ok, dict) else op
        )
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(shown)
    tags: list[str] = []
    for op in documented:
        if op.tag not in tags:
            tags.append(op.tag)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Pantau operations centre",
            "version": "1",
            "description": "The collector's REST API (docs/operations.md).",
        },
        "servers": [{"url": "/"}],
        "security": [{"session": []}],
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": {
            "schemas": _schemas(documented),
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "pantau_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
        },
    }
