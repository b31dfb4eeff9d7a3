"""The scan parser, fed bytes as a port delivers them: codes out, noise dropped and logged."""

import logging

import pytest

from devices.scan_parser import FramingSettings, ScanParser

NUMBER = "2900001000017"


@pytest.mark.parametrize("terminator", [b"\r", b"\n", b"\r\n", b"\t"])
def test_every_terminator_ends_a_code(terminator):
    assert ScanParser().feed(NUMBER.encode() + terminator) == [NUMBER]


def test_a_code_may_arrive_in_pieces_and_crlf_may_be_split():
    parser = ScanParser()
    assert parser.feed(b"2900") == []
    assert parser.feed(b"001000017\r") == [NUMBER]
    assert parser.feed(b"\n") == []  # the LF of a split CR LF ends nothing
    assert parser.feed(b"2900001000017\r\n2900001000017\r\n") == [NUMBER, NUMBER]
    assert parser.dropped == 0


@pytest.mark.parametrize("aim", ["]E0", "]C0", "]d2", "]Q3", "]A0"])
def test_aim_symbology_identifiers_and_whitespace_are_stripped(aim):
    assert ScanParser().feed(f"  {aim}{NUMBER} \r".encode()) == [NUMBER]


def test_a_configured_prefix_and_suffix_are_required_and_removed(caplog):
    parser = ScanParser(FramingSettings.named("CR", prefix="STX", suffix="ETX"))
    assert parser.feed(f"STX{NUMBER}ETX\r".encode()) == [NUMBER]
    with caplog.at_level(logging.WARNING, logger="pos_loyalty.devices"):
        assert parser.feed(f"{NUMBER}ETX\r".encode()) == []
    assert "missing the prefix" in caplog.text and parser.dropped == 1


def test_only_the_configured_terminator_ends_a_code():
    parser = ScanParser(FramingSettings.named("TAB"))
    assert parser.feed(f"{NUMBER}\r".encode()) == []
    assert parser.feed(b"\t") == [f"{NUMBER}"]  # the CR was whitespace around the code


@pytest.mark.parametrize(
    "noise, why",
    [
        (b"\xff\xfe\xfd\r", "not UTF-8"),
        (b"9" * 60 + b"\r", "longer than any card"),
        (b"29000\x0710\r", "control characters"),
        (b"]E0\r", "no code"),
    ],
)
def test_noise_is_dropped_with_a_log_line_and_never_becomes_a_code(caplog, noise, why):
    parser = ScanParser()
    with caplog.at_level(logging.WARNING, logger="pos_loyalty.devices"):
        assert parser.feed(noise) == []
    assert why in caplog.text and parser.dropped == 1
    assert parser.feed(f"{NUMBER}\r".encode()) == [NUMBER]  # and the next scan is fine


def test_a_burst_of_junk_without_a_terminator_is_thrown_away(caplog):
    parser = ScanParser()
    with caplog.at_level(logging.WARNING, logger="pos_loyalty.devices"):
        assert parser.feed(bytes(range(32, 127)) * 4) == []
    assert "no terminator" in caplog.text
    assert parser.feed(f"{NUMBER}\r".encode()) == [NUMBER]


def test_a_partial_code_cut_by_a_reset_is_not_a_code(caplog):
    parser = ScanParser()
    parser.feed(b"290000")
    with caplog.at_level(logging.WARNING, logger="pos_loyalty.devices"):
        parser.reset()
    assert "partial code" in caplog.text
    assert parser.feed(b"1000017\r") == ["1000017"]  # what follows stands on its own


def test_an_unknown_terminator_setting_is_refused():
    with pytest.raises(ValueError):
        FramingSettings.named("SEMICOLON")
