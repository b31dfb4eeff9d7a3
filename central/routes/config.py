"""Configuration routes (admin): the whole document, categories, discounts, tiers, on/off.

Every change is a new configuration version, validated whole by the core's
`config_from_json` (so a bad value names its field and nothing is saved), and reaches
every till through pull. Categories and discounts are addressed by their `categoryId`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from central.auth import Principal, admin
from central.http import json_body, json_object, not_found, reply
from central.store import config as configs
from central.store.db import Unit
from pos_loyalty.rules.config import config_from_json, config_to_json

router = APIRouter(prefix="/card-config", tags=["configuration"])


def _read(request: Request, principal: Principal, pick=lambda doc: doc) -> Any:  # type: ignore[no-untyped-def]
    return reply(
        request.app.state.store.run(
            lambda unit: pick(configs.document(unit)), write=False, tenant_id=principal.tenant_id
        )
    )


def _change(request: Request, principal: Principal, edit, pick=lambda doc: doc) -> Any:  # type: ignore[no-untyped-def]
    """Apply `edit` to the current document and save the result as the next version."""

    def work(unit: Unit) -> Any:
        document = config_to_json(configs.current(unit))
        edited = edit(document)
        saved = configs.save(unit, config_from_json(edited), principal.performed_by)
        return pick(configs.document(unit, saved))

    return reply(request.app.state.store.run(work, write=True, tenant_id=principal.tenant_id))


@router.get("")
def get_config(request: Request, principal: Principal = Depends(admin)) -> Any:
    return _read(request, principal)


@router.put("")
def put_config(request: Request, body: Any = Depends(json_body), principal: Principal = Depends(admin)) -> Any:
    document = json_object(body)
    return _change(request, principal, lambda _current: document)


@router.post("/enable")
def enable(request: Request, principal: Principal = Depends(admin)) -> Any:
    return _change(request, principal, lambda doc: {**doc, "isEnabled": True})


@router.post("/disable")
def disable(request: Request, principal: Principal = Depends(admin)) -> Any:
    return _change(request, principal, lambda doc: {**doc, "isEnabled": False})


def _entries(list_name: str):  # type: ignore[no-untyped-def]
    return lambda doc: doc[list_name]


def _upsert(list_name: str, entry: dict[str, Any]):  # type: ignore[no-untyped-def]
    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        others = [e for e in doc[list_name] if e["categoryId"] != entry.get("categoryId")]
        return {**doc, list_name: [*others, entry]}

    return edit


def _remove(list_name: str, category_id: int):  # type: ignore[no-untyped-def]
    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        kept = [e for e in doc[list_name] if e["categoryId"] != category_id]
        if len(kept) == len(doc[list_name]):
            raise not_found(f"category {category_id} in {list_name}")
        return {**doc, list_name: kept}

    return edit


for _path, _list in (("/categories", "categoryPointConfigs"), ("/discounts", "categoryDiscounts")):

    def _routes(path: str = _path, list_name: str = _list) -> None:
        @router.get(path, name=f"list {list_name}")
        def list_entries(request: Request, principal: Principal = Depends(admin)) -> Any:
            return _read(request, principal, _entries(list_name))

        @router.post(path, name=f"add or update {list_name}")
        def upsert_entry(
            request: Request, body: Any = Depends(json_body), principal: Principal = Depends(admin)
        ) -> Any:
            return _change(request, principal, _upsert(list_name, json_object(body)), _entries(list_name))

        @router.delete(path + "/{category_id}", name=f"remove from {list_name}")
        def delete_entry(category_id: int, request: Request, principal: Principal = Depends(admin)) -> Any:
            return _change(request, principal, _remove(list_name, category_id), _entries(list_name))

    _routes()


@router.get("/tiers")
def get_tiers(request: Request, principal: Principal = Depends(admin)) -> Any:
    return _read(request, principal, _entries("tiers"))


@router.put("/tiers")
def put_tiers(request: Request, body: Any = Depends(json_body), principal: Principal = Depends(admin)) -> Any:
    return _change(request, principal, lambda doc: {**doc, "tiers": body}, _entries("tiers"))
