"""Record Access Control Point bytes, as the Glucose Service lays them out, and sequence-number order."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway import racp


@pytest.mark.parametrize(("built", "expected"), [
    # Op Code 0x01 report stored records, Operator 0x03 >=, Filter Type 0x01 sequence number, 0x0102 LE.
    (racp.report_records_from(0x0102), "01 03 01 02 01"),
    (racp.report_records_from(65535), "01 03 01 ff ff"),
    (racp.report_records_from(0), "01 03 01 00 00"),
    # Operator 0x02 <=.
    (racp.report_records_upto(1), "01 02 01 01 00"),
    # Operator 0x01 all records, 0x06 last (most recent) record: no operand.
    (racp.report_all_records(), "01 01"),
    (racp.report_last_record(), "01 06"),
    # Op Code 0x04 report number of stored records.
    (racp.report_number_of_records(), "04 01"),
    (racp.report_number_of_records(10), "04 03 01 0a 00"),
    # Operator 0x04 within range: two sequence numbers after one filter type.
    (racp.build_request(racp.REPORT_STORED_RECORDS, racp.WITHIN_RANGE, 1, 5), "01 04 01 01 00 05 00"),
])
def test_request_bytes(built: bytes, expected: str) -> None:
    assert built == bytes.fromhex(expected)


def test_request_rejects_a_sequence_outside_uint16() -> None:
    with pytest.raises(ValueError, match="65536"):
        racp.report_records_from(65536)


@pytest.mark.parametrize(("raw", "request_op", "code", "ok", "text"), [
    # Op Code 0x06 response code, Operator 0x00 Null, request op code, response code value.
    ("06 00 01 01", 0x01, racp.SUCCESS, True, "success"),
    ("06 00 01 06", 0x01, racp.NO_RECORDS_FOUND, True, "no records found"),
    ("06 00 01 04", 0x01, racp.OPERATOR_NOT_SUPPORTED, False, "operator not supported"),
    ("06 00 04 02", 0x04, racp.OP_CODE_NOT_SUPPORTED, False, "op code not supported"),
    ("06 00 01 08", 0x01, racp.PROCEDURE_NOT_COMPLETED, False, "procedure not completed"),
    ("06 00 01 f0", 0x01, 0xF0, False, "reserved response code 240"),
])
def test_response_code(raw: str, request_op: int, code: int, ok: bool, text: str) -> None:
    response = racp.parse_response(bytes.fromhex(raw))
    assert (response.op_code, response.request_op_code, response.code) == (racp.RESPONSE_CODE, request_op, code)
    assert response.ok is ok
    assert response.describe() == text


def test_number_of_stored_records_response() -> None:
    # Op Code 0x05, Operator 0x00, count uint16 LE: 0x012c = 300 records.
    response = racp.parse_response(bytes.fromhex("05 00 2c 01"))
    assert response.number_of_records == 300 and response.ok
    assert response.describe() == "300 stored records"


@pytest.mark.parametrize(("raw", "reason"), [
    ("", "shorter"),
    ("06", "shorter"),
    ("06 00 01", "4 bytes"),
    ("06 00 01 01 00", "4 bytes"),
    ("06 01 01 01", "not Null"),
    ("05 00 2c", "4 bytes"),
    ("01 00 01 00", "not a response"),
])
def test_malformed_responses_are_racp_errors(raw: str, reason: str) -> None:
    with pytest.raises(racp.RacpError, match=reason):
        racp.parse_response(bytes.fromhex(raw))


@given(st.binary(max_size=8))
def test_parsers_are_total(data: bytes) -> None:
    for parse in (racp.parse_response, racp.parse_request):
        with contextlib.suppress(racp.RacpError):
            parse(data)


def test_request_round_trip_on_the_device_side() -> None:
    assert racp.parse_request(racp.report_records_from(65534)) == racp.Request(0x01, racp.GREATER_OR_EQUAL,
                                                                               (65534,))
    assert racp.parse_request(bytes.fromhex("01 04 01 01 00 05 00")) == racp.Request(0x01, racp.WITHIN_RANGE,
                                                                                     (1, 5))
    assert racp.parse_request(racp.report_last_record()) == racp.Request(0x01, racp.LAST_RECORD)
    with pytest.raises(racp.RacpError, match="sequence-number filter"):
        racp.parse_request(bytes.fromhex("01 03 02 00 00"))  # filter type 0x02 user facing time
    with pytest.raises(racp.RacpError, match="takes no operand"):
        racp.parse_request(bytes.fromhex("01 01 01 00 00"))


def test_responses_built_for_the_simulator() -> None:
    assert racp.build_response_code(0x01, racp.SUCCESS) == bytes.fromhex("06 00 01 01")
    assert racp.build_number_of_records(3) == bytes.fromhex("05 00 03 00")


@pytest.mark.parametrize(("a", "b", "newer"), [
    (1, 0, True), (0, 65535, True), (1, 65534, True), (65535, 65534, True),
    (3, 500, False), (500, 500, False), (65534, 1, False),
])
def test_sequence_order_across_roll_over(a: int, b: int, newer: bool) -> None:
    assert racp.is_newer(a, b) is newer


def test_newest_across_roll_over() -> None:
    assert racp.newest([65534, 65535, 0, 1]) == 1
    assert racp.newest([7, 3, 5]) == 7
    assert racp.newest([]) is None
    assert racp.next_sequence(65535) == 0
