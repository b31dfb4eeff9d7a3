"""Configuration routes (admin): the whole document, categories, discounts, tiers, on/off.

Every change is a new configuration version, validated whole by the core's
`config_from_json` (so a bad value names its field and nothing is saved), and reaches
every till through pull. Categories and discounts are addressed by their `categoryId`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from central.auth import Principal, admin
from central.http import json_body, json_object, not_found, reply
from central.openapi import contract
from central.schemas import config as shapes
from central.store import config as configs
from central.store.db import Unit
from pos_loyalty.rules.bill import MAX_CATEGORY_ID
from pos_loyalty.rules.programme import MAX_PROMOTION_ID
from pos_loyalty.rules.config import config_from_json, config_to_json

router = APIRouter(prefix="/card-config", tags=["configuration"])

_CONFIG = {"ok_examples": ("config",), "token": "admin"}


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


@router.get("", **contract(shapes.Config, **_CONFIG))
def get_config(request: Request, principal: Principal = Depends(admin)) -> Any:
    return _read(request, principal)


@router.put("", **contract(shapes.Config, body=shapes.ConfigInput, body_examples=("seedConfig",), **_CONFIG))
def put_config(request: Request, principal: Principal = Depends(admin), body: Any = Depends(json_body)) -> Any:
    document = json_object(body)
    return _change(request, principal, lambda _current: document)


@router.post("/enable", **contract(shapes.Config, **_CONFIG))
def enable(request: Request, principal: Principal = Depends(admin)) -> Any:
    return _change(request, principal, lambda doc: {**doc, "isEnabled": True})


@router.post("/disable", **contract(shapes.Config, **_CONFIG))
def disable(request: Request, principal: Principal = Depends(admin)) -> Any:
    return _change(request, principal, lambda doc: {**doc, "isEnabled": False})


def _entries(list_name: str):  # type: ignore[no-untyped-def]
    return lambda doc: doc[list_name]


def _upsert(list_name: str, key: str, entry: dict[str, Any]):  # type: ignore[no-untyped-def]
    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        others = [e for e in doc[list_name] if e[key] != entry.get(key)]
        return {**doc, list_name: [*others, entry]}

    return edit


def _remove(list_name: str, key: str, entry_id: Any):  # type: ignore[no-untyped-def]
    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        kept = [e for e in doc[list_name] if e[key] != entry_id]
        if len(kept) == len(doc[list_name]):
            raise not_found(f"{key} {entry_id} in {list_name}")
        return {**doc, list_name: kept}

    return edit


CategoryId = Annotated[int, Path(ge=1, le=MAX_CATEGORY_ID, description="The entry's categoryId")]
PromotionId = Annotated[int, Path(ge=1, le=MAX_PROMOTION_ID, description="The promotion's promotionId")]
RewardId = Annotated[str, Path(pattern=r"^[A-Z0-9-]{1,32}$", description="The reward's rewardId")]
#: Each list: its path, its name in the document, the field that names an entry (and its
#: path parameter's type), the entry's schema, as sent and as shown.
_LISTS = (
    ("/categories", "categoryPointConfigs", "categoryId", CategoryId, shapes.CategoryPointConfig, shapes.CategoryPointConfigShown),
    ("/discounts", "categoryDiscounts", "categoryId", CategoryId, shapes.CategoryDiscount, shapes.CategoryDiscountShown),
    ("/promotions", "promotions", "promotionId", PromotionId, shapes.Promotion, shapes.PromotionShown),
    ("/rewards", "rewards", "rewardId", RewardId, shapes.Reward, shapes.RewardShown),
)
#: The examples (central/schemas/examples.py) of a list and of one entry.
_EXAMPLES = {
    "categoryPointConfigs": ("categories", "category"),
    "categoryDiscounts": ("discounts", "discount"),
    "promotions": ("promotions", "promotion"),
    "rewards": ("rewards", "reward"),
}

for _path, _list, _key, _key_type, _entry, _shown in _LISTS:

    def _routes(  # type: ignore[no-untyped-def]
        path: str = _path, list_name: str = _list, key: str = _key, key_type=_key_type, entry=_entry, shown=_shown
    ) -> None:
        listed_example, example = _EXAMPLES[list_name]
        listed = {"token": "admin", "ok_examples": (listed_example,)}

        @router.get(path, name=f"list {list_name}", **contract(list[shown], **listed))
        def list_entries(request: Request, principal: Principal = Depends(admin)) -> Any:
            return _read(request, principal, _entries(list_name))

        @router.post(
            path,
            name=f"add or update {list_name}",
            **contract(list[shown], body=entry, body_examples=(example,), **listed),
        )
        def upsert_entry(
            request: Request, principal: Principal = Depends(admin), body: Any = Depends(json_body)
        ) -> Any:
            return _change(request, principal, _upsert(list_name, key, json_object(body)), _entries(list_name))

        def delete_entry(entry_id: Any, request: Request, principal: Principal = Depends(admin)) -> Any:
            return _change(request, principal, _remove(list_name, key, entry_id), _entries(list_name))

        delete_entry.__annotations__["entry_id"] = key_type  # this list's id type (the annotations are text)
        router.delete(path + "/{entry_id}", name=f"remove from {list_name}", **contract(list[shown], 400, 404, **listed))(
            delete_entry
        )

    _routes()


_TIERS = {"token": "admin", "ok_examples": ("tiersSaved",)}


@router.get("/tiers", **contract(list[shapes.TierShown], **_TIERS))
def get_tiers(request: Request, principal: Principal = Depends(admin)) -> Any:
    return _read(request, principal, _entries("tiers"))


@router.put("/tiers", **contract(list[shapes.TierShown], body=list[shapes.Tier], body_examples=("tiers",), **_TIERS))
def put_tiers(request: Request, principal: Principal = Depends(admin), body: Any = Depends(json_body)) -> Any:
    """The tier ladder, lowest first (the first at 0 points); `[]` for none."""
    return _change(request, principal, lambda doc: {**doc, "tiers": body}, _entries("tiers"))
