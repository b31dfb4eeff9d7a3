"""What any route may answer: every failure in the envelope of `central/http.py`, and `/health`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from central.schemas.values import Closed, Open


class FieldProblem(Closed):
    field: str
    message: str
    line: int | None = Field(None, description="A card import's problem: the file's line (the header is line 1)")


class ErrorDetail(Open):
    code: str = Field(description="INVALID_INPUT, CARD_NOT_FOUND, ... (central-api.md, Errors)")
    message: str = Field(description="A sentence fit to show at the counter")
    field: str | None = Field(None, description="The bad field (INVALID_INPUT): items[2].amount, billAmount, id")
    problems: list[FieldProblem] | None = Field(
        None, description="Every bad field of a configuration; the first 100 problems of a card import, by line"
    )
    problemCount: int | None = Field(None, description="A card import: how many problems the file has in all")


class Error(Closed):
    """Every failure: `{"error": {"code", "message", ...}}`."""

    error: ErrorDetail
    lastAppliedSeq: int | None = Field(None, description="With SEQUENCE_GAP: resend from the number after it")


class Health(Closed):
    status: Literal["ok"]
