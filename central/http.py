"""JSON in and out with exact decimals, and every failure in the envelope of `central-api.md`.

Request bodies are read with `pos_loyalty.jsonio` (numbers become Decimal, never float)
and validated by the core's own parsers, which name the bad field; responses are written
by the same module. Every error, ours or the framework's, leaves as
`{"error": {"code", "message", ...}}`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse as StarletteJSONResponse
from starlette.responses import Response
from starlette.routing import Match

from pos_loyalty import errors, jsonio
from pos_loyalty.errors import InvalidInput, LoyaltyError
from pos_loyalty.rules import holds

log = logging.getLogger("central")

#: HTTP status for each error code (user errors are 4xx; 5xx is only the service's fault).
STATUS = {
    errors.INVALID_INPUT: 400,
    errors.CARD_NOT_FOUND: 404,
    errors.BILL_NOT_FOUND: 404,
    "NOT_FOUND": 404,
    errors.DUPLICATE_CARD: 409,
    errors.ALREADY_REVERSED: 409,
    errors.IDEMPOTENCY_CONFLICT: 409,
    errors.REFERRER_ALREADY_SET: 409,
    errors.REFERRAL_LOOP: 409,
    errors.CARD_REPLACED: 409,
    holds.HOLD_NOT_FOUND: 404,
    holds.HOLD_EXPIRED: 409,
    holds.HOLD_RELEASED: 409,
    holds.HOLD_CONFIRMED: 409,
    "SEQUENCE_GAP": 409,
    "CURSOR_EXPIRED": 410,
    errors.PAYLOAD_TOO_LARGE: 413,
    errors.TOO_MANY_REQUESTS: 429,
    errors.CARD_INACTIVE: 422,
    errors.PROGRAM_DISABLED: 422,
    errors.MIN_POINTS_NOT_MET: 422,
    errors.INSUFFICIENT_POINTS: 422,
    errors.EXCEEDS_MAX_REDEMPTION: 422,
    errors.RETURN_EXCEEDS_BILL: 422,
    errors.OFFLINE_LIMIT: 422,
}
#: The largest request body (`central-api.md`, Every request): larger is 413, unread.
MAX_BODY = 1024 * 1024


class JSONResponse(StarletteJSONResponse):
    """JSON written by `pos_loyalty.jsonio` (Decimals as numbers). A JSONResponse to FastAPI,
    so the OpenAPI document takes each route's declared answer (`central/openapi.py`)
    instead of calling it a string."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return jsonio.dumps(content).encode()


def reply(content: Any, status: int = 200) -> JSONResponse:
    """A route's answer: return this, so FastAPI's own encoder never turns a Decimal into text."""
    return JSONResponse(content, status_code=status)


def not_found(what: str) -> LoyaltyError:
    return LoyaltyError("NOT_FOUND", f"No {what} here")


async def json_body(request: Request) -> Any:
    """The request's JSON, numbers as Decimal; INVALID_INPUT naming the field if it is not
    JSON or breaks the input rules (`jsonio.input_problem`)."""
    body = await unchecked_json_body(request)
    refuse_problem(body.problem())
    return body.document


async def unchecked_json_body(request: Request) -> jsonio.Input:
    """The request's JSON, with what the input rules refuse marked but not yet refused
    (`jsonio.loads_input`): for a body whose parts are judged one by one (a sync push)."""
    raw = await body_within_limit(request)
    if not raw.strip():
        raise InvalidInput("(body)", "The request needs a JSON body")
    try:
        return jsonio.loads_input(raw)
    except jsonio.JsonError as error:
        raise InvalidInput("(body)", f"The request body is {error}") from None


async def body_within_limit(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, read only as far as the limit: a larger one is refused (413) as soon as its
    Content-Length says so, or as soon as the bytes read pass the limit. A route with a
    limit of its own (a card import's file) reads its body with this too."""
    too_large = LoyaltyError(
        errors.PAYLOAD_TOO_LARGE, f"The request body is larger than {limit // 2**20} MiB, the most this request may carry"
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def refuse_problem(problem: tuple[str, str] | None) -> None:
    if problem is not None:
        raise InvalidInput(*problem)


def json_object(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise InvalidInput("(body)", "The request body must be a JSON object")
    return document


def _allowed_methods(request: Request) -> str:
    """Every method the request's path takes (RFC 9110's Allow of a 405). Starlette names only
    those of one route, and GET and PUT /card-config are two routes, so each is tried."""
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoyaltyError)
    async def loyalty_error(_request: Request, error: LoyaltyError) -> Response:
        status = getattr(error, "status", None) or STATUS.get(error.code, 400)
        extra = {"lastAppliedSeq": error.details["lastAppliedSeq"]} if "lastAppliedSeq" in error.details else {}
        headers = {"Retry-After": str(error.details["retryAfterSeconds"])} if "retryAfterSeconds" in error.details else None
        return JSONResponse(error.to_json() | extra, status_code=status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(error.status_code, "HTTP_ERROR")
        message = "No such route" if error.status_code == 404 else str(error.detail)
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=error.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {"loc": ("request",), "msg": "invalid"}
        field = ".".join(str(part) for part in first.get("loc", ()) if part not in ("path", "query", "body"))
        body = InvalidInput(field or "(request)", f"{field or 'The request'}: {first.get('msg')}").to_json()
        return JSONResponse(body, status_code=400)

    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, _error: OperationalError) -> Response:
        log.warning("the database failed on %s %s: %s", request.method, request.url.path, _error.orig)
        body = {"error": {"code": "UNAVAILABLE", "message": "The loyalty service's database is not answering; try again"}}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def internal_error(request: Request, _error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        body = {"error": {"code": "INTERNAL", "message": "The loyalty service failed; try again"}}
        return JSONResponse(body, status_code=500)
