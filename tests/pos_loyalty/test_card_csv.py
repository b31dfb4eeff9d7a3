"""Reading a CSV file of cards as an older system exports it, and writing one: `pos_loyalty.card_csv`."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos_loyalty import card_csv
from pos_loyalty.card_csv import ExportRow, ImportRefused, read
from pos_loyalty.cardnumber import check_digit

HEADER = "cardNumber,customerName,customerPhone,customerEmail,customerId,points,referrerCardNumber"


def number(serial: int) -> str:
    body = f"40{serial:010d}"
    return body + check_digit(body)


def misread(serial: int) -> str:
    """The card's number with its last digit wrong."""
    good = number(serial)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def refusal(data: bytes) -> list[str]:
    with pytest.raises(ImportRefused) as refused:
        parsed = read(data)
        parsed.referrers_first()
        parsed.refuse_if_any()
    return [str(problem) for problem in refused.value.problems]


def test_an_excel_export_with_a_bom_semicolons_crlf_and_indian_phones_is_read():
    data = (
        "\ufeffCardNumber ; CUSTOMERNAME;customerPhone;Points\r\n"
        f"{number(1)};Asha  Customer;+91 98765 43210;1250.50\r\n"
        f";Bina;098765-43211;\r\n"
        f"{number(3)};Chitra;(0)98765.43212;0\r\n"
    ).encode("utf-8")
    parsed = read(data)
    assert parsed.problems == []
    assert [(c.line, c.card_number, c.customer_name, c.customer_phone, c.points) for c in parsed.cards] == [
        (2, number(1), "Asha Customer", "+919876543210", 125050),
        (3, None, "Bina", "09876543211", 0),
        (4, number(3), "Chitra", "0987654321" + "2", 0),
    ]


def test_every_bad_row_is_named_by_its_line_and_field_the_header_being_line_1():
    problems = refusal(
        csv(
            f"{number(1)},Asha,9876543210,,,10,",
            "",  # a blank line is skipped, and still counted
            f"{misread(2)},,12,not-an-email,,-5,",
            f"{number(4)},Dev,9876543214,,,1.234,",
        )
    )
    assert problems == [
        f"line 4: cardNumber: {misread(2)} has a wrong check digit; it was probably mistyped or misread",
        "line 4: customerName: Customer name is needed",
        "line 4: customerPhone: '12' is not a phone number (7 to 15 digits)",
        "line 4: customerEmail: 'not-an-email' is not an email address",
        "line 4: points: points must not be negative (got -5)",
        "line 5: points: points has too many decimals: 1.234 (at most 2 allowed)",
    ]


def test_points_are_never_floats_nor_thousands_separated():
    assert refusal(csv("CARD001,Asha,9876543210,,,1e3,")) == [
        "line 2: points: points must be a number of points written with the digits 0-9, not '1e3'"
    ]
    assert refusal(csv('CARD001,Asha,9876543210,,,"1,250",')) == [
        "line 2: points: points must be a number of points written with the digits 0-9, not '1,250'"
    ]


def test_a_header_with_unknown_or_missing_columns_is_refused_naming_them():
    assert refusal(b"name,phone,cardNumber\nAsha,9876543210,\n") == [
        "line 1: name: 'name' is not a column of cards (cardNumber, customerName, customerPhone, customerEmail, "
        "customerId, points, referrerCardNumber)",
        "line 1: phone: 'phone' is not a column of cards (cardNumber, customerName, customerPhone, customerEmail, "
        "customerId, points, referrerCardNumber)",
        "line 1: customerName: the header has no customerName column (it is required)",
        "line 1: customerPhone: the header has no customerPhone column (it is required)",
    ]
    assert refusal(b"customerName,customerPhone,customerName\n") == ["line 1: customerName: the header names customerName twice"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "line 1: (header): the file has no header row (the first row names the columns)"),
        (b"customerName,customerPhone\r\n", "line 1: (file): the file has a header but no cards"),
        ("customerName,customerPhone\nAsha,9876543210\n".encode("utf-16"), "line 1: (file): the file is UTF-16 text"),
        (b"customerName,customerPhone\nAsha,9876543210\n\xe9t\xe9,9876543211\n", "line 3: (file): the file is not UTF-8 text"),
    ],
)
def test_a_file_that_is_no_list_of_cards_is_refused_saying_why(data, problem):
    (found,) = refusal(data)
    assert found.startswith(problem)


def test_a_row_with_more_cells_than_columns_is_refused_and_trailing_empty_cells_are_not():
    assert refusal(b"customerName,customerPhone\nAsha,9876543210,,\nBina,9876543211,extra\n") == [
        "line 3: (row): the row has 3 cells but the header names 2 columns"
    ]


def test_duplicates_within_the_file_are_refused_naming_both_lines():
    problems = refusal(
        csv(
            f"{number(1)},Asha,9876543210,,C-1,,",
            f"{number(2)},Bina,9876543211,,C-2,,",
            f"{number(1)},Asha again,+919876543219,,,,",
            f"{number(4)},Chitra,9876543211,,C-1,,",
        )
    )
    assert problems == [
        f"line 4: cardNumber: card {number(1)} is also on line 2",
        "line 5: customerPhone: phone 9876543211 is also on line 3",
        "line 5: customerId: customer C-1 is also on line 2",
    ]


def test_a_bad_row_still_counts_for_the_duplicates_after_it():
    problems = refusal(csv(f"{number(1)},,9876543210,,,,", f"{number(2)},Bina,9876543210,,,,"))
    assert problems == ["line 2: customerName: Customer name is needed", "line 3: customerPhone: phone 9876543210 is also on line 2"]


def test_referrers_are_rows_of_the_file_earlier_or_later_and_come_first():
    parsed = read(
        csv(
            f"{number(1)},Asha,9876543210,,,,{number(3)}",
            f"{number(2)},Bina,9876543211,,,,{number(1)}",
            f"{number(3)},Chitra,9876543212,,,,",
            f"{number(4)},Dev,9876543213,,,,CARD001",
        )
    )
    assert [card.card_number for card in parsed.referrers_first()] == [number(3), number(1), number(2), number(4)]
    assert parsed.referrers_outside == {"CARD001"}  # the store says whether it is a card there
    assert parsed.problems == []


def test_a_card_referring_to_itself_or_a_loop_of_referrers_is_refused():
    problems = refusal(
        csv(
            f"{number(1)},Asha,9876543210,,,,{number(1)}",
            f"{number(2)},Bina,9876543211,,,,{number(3)}",
            f"{number(3)},Chitra,9876543212,,,,{number(2)}",
        )
    )
    assert problems == [
        f"line 2: referrerCardNumber: card {number(1)} cannot refer itself",
        "line 3: referrerCardNumber: the rows on lines 3, 4 refer to each other in a loop",
        "line 4: referrerCardNumber: the rows on lines 3, 4 refer to each other in a loop",
    ]


def test_a_long_list_of_problems_shows_the_first_hundred_and_counts_the_rest():
    rows = [f",Customer {i},12,,,," for i in range(250)]
    with pytest.raises(ImportRefused) as refused:
        read(csv(*rows)).refuse_if_any()
    error = refused.value
    assert error.details["problemCount"] == 250 and len(error.details["problems"]) == card_csv.MAX_LISTED
    assert error.message.startswith("Nothing was imported: the file has 250 problems:\n  line 2: customerPhone:")
    assert error.message.endswith("\n  ... and 150 more")
    assert error.to_json()["error"]["code"] == "INVALID_INPUT" and error.details["line"] == 2


def test_what_is_written_reads_back_the_same():
    rows = [
        ExportRow(number(1), 'Asha "Ash" Customer, Jr', "+919876543210", "asha@example.com", "C-1", 125050, None),
        ExportRow("CARD001", "बीना", "09876543211", None, None, 0, number(1)),
    ]
    out = io.StringIO()
    assert card_csv.write(rows, out) == 2
    text = out.getvalue()
    assert text.splitlines()[0] == HEADER and ",1250.50," in text and ",0.00," in text
    parsed = read(text.encode())
    assert [
        ExportRow(c.card_number, c.customer_name, c.customer_phone, c.customer_email, c.customer_id, c.points, c.referrer_number)
        for c in parsed.cards
    ] == rows


def test_a_long_file_reports_its_progress():
    said: list[str] = []
    rows = [f",Customer {i},{9_000_000_000 + i},,,," for i in range(card_csv.PROGRESS_EVERY)]
    read(csv(*rows), progress=said.append)
    assert said == [f"read {card_csv.PROGRESS_EVERY:,} rows"]


_cells = st.one_of(
    st.sampled_from(["", " ", number(1), number(2), "CARD001", "+91 98765 43210", "098765-43211", "1.5", "-1", "1e3",
                     "Asha", "a@b.in", '"', "\x00", "\u202e", "२", "１２"]),
    st.text(max_size=12),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    header=st.lists(st.sampled_from([*card_csv.COLUMNS, "CustomerName ", "name", ""]), min_size=1, max_size=8),
    rows=st.lists(st.lists(_cells, max_size=9), max_size=8),
    delimiter=st.sampled_from([",", ";"]),
    bom=st.booleans(),
)
def test_any_file_is_read_or_refused_with_its_problems_never_an_error(header, rows, delimiter, bom):
    text = "\n".join(delimiter.join(line) for line in [header, *rows])
    data = ("\ufeff" if bom else "").encode() + text.encode("utf-8", "surrogatepass")
    try:
        parsed = read(data)
        parsed.referrers_first()
        parsed.refuse_if_any()
    except ImportRefused as refused:
        assert refused.problems and all(problem.line >= 1 and problem.message for problem in refused.problems)
    else:
        assert len(parsed.cards) == parsed.rows


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused(data):
    try:
        read(b"customerName,customerPhone,points\n" + data).refuse_if_any()
    except ImportRefused as refused:
        assert refused.problems
