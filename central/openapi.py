"""The served OpenAPI document (`/openapi.json`, `/docs`): what every route takes and answers.

Left to itself FastAPI would describe these routes wrongly: the handlers read their
bodies themselves (`central.http.json_body`, exact decimals, the input rules) and answer
with `central.http.JSONResponse`, so it would see no request body, no error but a 422
`HTTPValidationError` the service never sends (a bad path or query value is answered
`400 INVALID_INPUT`, `central/http.py`). So each route states its contract with
`contract(...)`, in its decorator: the body it takes (`openapi_extra`), its answer and
every error status it can give (`responses`), each error in the envelope
`{"error": {"code", "message", ...}}`. All of it is references to the models of
`central/schemas/` and to its examples (`central/schemas/examples.py`); `install` then builds the document once:
FastAPI's paths, these components, the bearer scheme, and no validation noise.

The document is written by `pos_loyalty.jsonio` like every answer, so a decimal in an
example or a limit (`0.10`) is the number it is, never a float.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.responses import HTMLResponse

from central.http import JSONResponse
from central.schemas.examples import examples
from central.schemas.service import Error

SCHEMAS = "#/components/schemas/"
EXAMPLES = "#/components/examples/"
BEARER = "bearerAuth"
_models: dict[str, type[BaseModel]] = {}

#: Every error status a route may declare: what it means and the codes it carries.
ERRORS = {
    400: "Bad input: INVALID_INPUT naming the field (a body, path, query or header value the service refuses: "
    "not JSON, deeper than 32 levels, a number with an exponent or more than 30 digits, a key given twice, "
    "control characters in text, a figure out of range, an unknown field)",
    401: "No token, or one the service does not know or has revoked: UNAUTHORIZED",
    404: "Not here (another pharmacy's is never visible): CARD_NOT_FOUND, BILL_NOT_FOUND, HOLD_NOT_FOUND, NOT_FOUND",
    409: "A conflict: DUPLICATE_CARD, IDEMPOTENCY_CONFLICT, ALREADY_REVERSED, REFERRER_ALREADY_SET, "
    "REFERRAL_LOOP, SEQUENCE_GAP (with lastAppliedSeq: resend from the number after it), "
    "HOLD_EXPIRED, HOLD_RELEASED, HOLD_CONFIRMED",
    410: "CURSOR_EXPIRED: the cursor is from another database or ahead of this one; pull again from 0",
    413: "PAYLOAD_TOO_LARGE: the body is over 1 MiB (256 MiB for a card import; refused before it is read)",
    422: "A rule refuses a well-formed request: CARD_INACTIVE, PROGRAM_DISABLED, MIN_POINTS_NOT_MET, "
    "INSUFFICIENT_POINTS, EXCEEDS_MAX_REDEMPTION, OFFLINE_LIMIT",
    429: "TOO_MANY_REQUESTS: more than one till may ask for (card blocks a day, pull pages a second); "
    "wait Retry-After seconds",
    503: "UNAVAILABLE: the service's database is not answering; try again after Retry-After seconds",
}
_FORBIDDEN = {
    "admin": "FORBIDDEN: this route needs an admin token (a device token was sent)",
    "device": "FORBIDDEN: this route needs a device (till) token (an admin token was sent)",
}
HEADERS = "#/components/headers/"
#: In the components: FastAPI's own model of the document would turn its minimum into a float.
_RETRY_AFTER = {"Retry-After": {"$ref": HEADERS + "RetryAfter"}}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Optional: a repeat with the same key and body gets the first answer; another body is 409",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$",
    },
}
_REPLAYED = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer of an earlier identical request",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def ref(model: Any) -> dict[str, Any]:
    """A reference to `model` (or a `list[model]`), whose schema joins the components; `str`
    is text (a CSV file)."""
    if model is str:
        return {"type": "string"}
    if get_origin(model) is list:
        return {"type": "array", "items": ref(get_args(model)[0])}
    _models[model.__name__] = model
    return {"$ref": SCHEMAS + model.__name__}


def contract(
    ok: Any,
    *errors: int,
    token: str | None = "any",
    status: int = 200,
    body: Any = None,
    body_examples: tuple[str, ...] = (),
    ok_examples: tuple[str, ...] = (),
    ok_description: str = "Done",
    idempotent: bool = False,
    body_type: str = "application/json",
    ok_type: str = "application/json",
) -> dict[str, Any]:
    """The decorator arguments of a route: `@router.post(path, **contract(...))`.

    `errors`: the statuses the route itself may give; 401 (with a `token`), 403 (for an
    `admin` or `device` token), 413 (with a `body`) and 503 are added here. `body_type`
    and `ok_type`: the media types of the body and the answer (`text/csv`, whose schema
    `ok` or `body` is then `str`); errors are always JSON."""
    statuses = set(errors) | {503}
    if token is not None:
        statuses.add(401)
    if body is not None:
        statuses |= {400, 413}
    answer: dict[str, Any] = {"description": ok_description, "content": {ok_type: _content(ok, ok_examples)}}
    if idempotent:
        answer["headers"] = _REPLAYED
    responses: dict[int, dict[str, Any]] = {status: answer}
    for code in sorted(statuses):
        responses[code] = _error(code, ERRORS[code])
    if token in _FORBIDDEN:
        responses[403] = _error(403, _FORBIDDEN[token])
    extra: dict[str, Any] = {}
    if token is not None:
        extra["security"] = [{BEARER: []}]
    if body is not None:
        extra["requestBody"] = {"required": True, "content": {body_type: _content(body, body_examples)}}
    if idempotent:
        extra["parameters"] = [IDEMPOTENCY_KEY]
    # response_model=None: the handlers answer JSONResponses themselves; FastAPI validates nothing.
    return {
        "status_code": status,
        "response_model": None,
        "responses": dict(sorted(responses.items())),
        "openapi_extra": extra,
    }


def _content(model: Any, example_names: tuple[str, ...]) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": ref(model)}
    if example_names:
        content["examples"] = {name: {"$ref": EXAMPLES + name} for name in example_names}
    return content


def _error(status: int, description: str) -> dict[str, Any]:
    content = _content(Error, (f"error{status}",))
    answer = {"description": description, "content": {"application/json": content}}
    if status in (429, 503):
        answer["headers"] = _RETRY_AFTER
    return answer


def install(app: FastAPI) -> None:
    """Serve the document at `/openapi.json` (built once), Swagger UI at `/docs`, ReDoc at `/redoc`.

    The app is made with `openapi_url=None`, so FastAPI's own routes (which would write the
    document with the standard library's encoder, Decimals as floats) are not there."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_json() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title}: API")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title=f"{app.title}: API")


def build(app: FastAPI) -> dict[str, Any]:
    """FastAPI's paths with the routes' contracts, and the components they refer to."""
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    for operations in document["paths"].values():
        for operation in operations.values():
            _drop_validation_noise(operation["responses"])
    _refs, found = models_json_schema(
        [(model, "validation") for model in _models.values()], ref_template=SCHEMAS + "{model}"
    )
    components = document.setdefault("components", {})
    components.pop("schemas", None)  # only FastAPI's ValidationError and HTTPValidationError
    components["schemas"] = dict(sorted(found.get("$defs", {}).items()))
    components["examples"] = examples()
    components["headers"] = {
        "RetryAfter": {"description": "Seconds to wait", "schema": {"type": "integer", "minimum": 1}}
    }
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "A token of one pharmacy: admin (managers, back office) or device (a till or a billing "
            "integration), minted by `pos-loyalty central create-tenant` and `add-device`",
        }
    }
    return document


def _drop_validation_noise(responses: dict[str, Any]) -> None:
    """FastAPI adds a 422 HTTPValidationError to every route with a path or query parameter;
    the service answers those 400 INVALID_INPUT instead (declared by `contract`)."""
    added = responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if added.get("$ref", "").endswith("/HTTPValidationError"):
        del responses["422"]
