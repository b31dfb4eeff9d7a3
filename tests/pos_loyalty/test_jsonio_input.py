"""Reading documents from outside (`jsonio.loads_input`): every value kept, what the input
rules refuse found and named by its field, never a crash or a silent change of figure."""

from __future__ import annotations

import pytest

from pos_loyalty import jsonio


@pytest.mark.parametrize(
    "text, field, words",
    [
        ('{"billAmount": 1e-999999999}', "billAmount", "exponent"),
        ('{"items": [{"amount": 1E+999999999}]}', "items[0].amount", "exponent"),
        ('{"cardId": ' + "9" * 5000 + "}", "cardId", "more than 30 digits"),
        ('{"points": 1234567890123456789012345678901.5}', "points", "more than 30 digits"),
        ('{"a": {"k": 1, "k": 2}}', "a.k", "given twice"),
        ('{"customerName": "\\u0007\\u0008"}', "customerName", "control characters"),
        ("[" * 40 + "]" * 40, "[0]", "nested deeper than 32"),
    ],
)
def test_what_the_input_rules_refuse_is_named_by_its_field(text, field, words):
    found = jsonio.loads_input(text).problem()
    assert found is not None and found[0].startswith(field) and words in found[1]


def test_an_ordinary_document_is_read_exactly_and_quickly_passed():
    document = jsonio.loads_input('{"a": [1, 2.50, "tab\\\\tnot a tab"], "b": {"c": null}}')
    assert document.problem() is None
    assert document.document == {"a": [1, jsonio.loads("2.50"), "tab\\tnot a tab"], "b": {"c": None}}


def test_nesting_no_parser_could_follow_is_a_sentence_not_a_crash():
    with pytest.raises(jsonio.JsonError, match="nested far deeper"):
        jsonio.loads_input("[" * 100_000 + "]" * 100_000)
