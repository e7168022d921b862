"""Record Access Control Point (0x2A52): the requests a gateway writes and the responses a meter indicates.

Pure bytes in, bytes out; the simulated glucometer uses the same module from the device side. Layout and
values follow [GLS 1.0, Record Access Control Point] and the procedures of [GLP 1.0, Record Access Control
Point procedures]: Op Code (uint8), Operator (uint8), Operand (filter type uint8 + values).
"""

from __future__ import annotations

from dataclasses import dataclass

RACP = "2a52"

# [GLS 1.0, RACP: Op Code]
REPORT_STORED_RECORDS = 0x01
DELETE_STORED_RECORDS = 0x02
ABORT_OPERATION = 0x03
REPORT_NUMBER_OF_RECORDS = 0x04
NUMBER_OF_RECORDS_RESPONSE = 0x05
RESPONSE_CODE = 0x06

# [GLS 1.0, RACP: Operator]
NULL = 0x00
ALL_RECORDS = 0x01
LESS_OR_EQUAL = 0x02
GREATER_OR_EQUAL = 0x03
WITHIN_RANGE = 0x04
FIRST_RECORD = 0x05  # the oldest record
LAST_RECORD = 0x06  # the most recent record

# [GLS 1.0, RACP: Operand, Filter Type] 0x02 (user facing time) is not used: meter clocks are not trusted.
FILTER_SEQUENCE_NUMBER = 0x01

# [GLS 1.0, RACP: Response Code Values]
SUCCESS = 0x01
OP_CODE_NOT_SUPPORTED = 0x02
INVALID_OPERATOR = 0x03
OPERATOR_NOT_SUPPORTED = 0x04
INVALID_OPERAND = 0x05
NO_RECORDS_FOUND = 0x06
ABORT_UNSUCCESSFUL = 0x07
PROCEDURE_NOT_COMPLETED = 0x08
OPERAND_NOT_SUPPORTED = 0x09

RESPONSE_NAMES = {
    SUCCESS: "success", OP_CODE_NOT_SUPPORTED: "op code not supported", INVALID_OPERATOR: "invalid operator",
    OPERATOR_NOT_SUPPORTED: "operator not supported", INVALID_OPERAND: "invalid operand",
    NO_RECORDS_FOUND: "no records found", ABORT_UNSUCCESSFUL: "abort unsuccessful",
    PROCEDURE_NOT_COMPLETED: "procedure not completed", OPERAND_NOT_SUPPORTED: "operand not supported",
}

SEQUENCE_MODULO = 0x10000  # the Glucose Measurement sequence number is a uint16 that rolls over to 0


class RacpError(ValueError):
    """Bytes on the control point that are not a well-formed RACP value."""


@dataclass(frozen=True)
class Request:
    op_code: int
    operator: int
    sequences: tuple[int, ...] = ()  # operand values when the filter type is the sequence number


@dataclass(frozen=True)
class Response:
    """What the meter indicates back: a response code to a request, or the number of stored records."""

    op_code: int  # RESPONSE_CODE or NUMBER_OF_RECORDS_RESPONSE
    request_op_code: int | None = None
    code: int | None = None
    number_of_records: int | None = None

    @property
    def ok(self) -> bool:
        return self.op_code == NUMBER_OF_RECORDS_RESPONSE or self.code in (SUCCESS, NO_RECORDS_FOUND)

    def describe(self) -> str:
        if self.op_code == NUMBER_OF_RECORDS_RESPONSE:
            return f"{self.number_of_records} stored records"
        return RESPONSE_NAMES.get(self.code or 0, f"reserved response code {self.code}")


def _seq(value: int) -> bytes:
    if not 0 <= value < SEQUENCE_MODULO:
        raise ValueError(f"sequence number {value} outside 0..65535")
    return value.to_bytes(2, "little")


def build_request(op_code: int, operator: int, *sequences: int) -> bytes:
    """A request; with ``sequences`` the operand is filter type "sequence number" followed by them."""
    operand = bytes([FILTER_SEQUENCE_NUMBER]) + b"".join(_seq(s) for s in sequences) if sequences else b""
    return bytes([op_code, operator]) + operand


def report_records_from(sequence: int) -> bytes:
    """Report stored records with sequence number greater than or equal to ``sequence``: 01 03 01 lo hi."""
    return build_request(REPORT_STORED_RECORDS, GREATER_OR_EQUAL, sequence)


def report_records_upto(sequence: int) -> bytes:
    """Report stored records with sequence number less than or equal to ``sequence``: 01 02 01 lo hi."""
    return build_request(REPORT_STORED_RECORDS, LESS_OR_EQUAL, sequence)


def report_all_records() -> bytes:
    return build_request(REPORT_STORED_RECORDS, ALL_RECORDS)


def report_last_record() -> bytes:
    return build_request(REPORT_STORED_RECORDS, LAST_RECORD)


def report_number_of_records(from_sequence: int | None = None) -> bytes:
    """Report number of stored records, all (04 01) or from a sequence number on (04 03 01 lo hi)."""
    if from_sequence is None:
        return build_request(REPORT_NUMBER_OF_RECORDS, ALL_RECORDS)
    return build_request(REPORT_NUMBER_OF_RECORDS, GREATER_OR_EQUAL, from_sequence)


def parse_response(data: bytes) -> Response:
    """[GLS 1.0, RACP] Response Code: 06 00 <request op code> <code>; Number of Stored Records Response:
    05 00 <count uint16>. The operator of both is Null."""
    if len(data) < 2:
        raise RacpError(f"RACP value {data.hex()} is shorter than op code and operator")
    op_code, operator = data[0], data[1]
    if operator != NULL:
        raise RacpError(f"RACP response {data.hex()} has operator {operator:#04x}, not Null")
    if op_code == RESPONSE_CODE:
        if len(data) != 4:
            raise RacpError(f"RACP response code {data.hex()} must be 4 bytes")
        return Response(op_code, request_op_code=data[2], code=data[3])
    if op_code == NUMBER_OF_RECORDS_RESPONSE:
        if len(data) != 4:
            raise RacpError(f"RACP number of records {data.hex()} must be 4 bytes")
        return Response(op_code, number_of_records=int.from_bytes(data[2:4], "little"))
    raise RacpError(f"RACP op code {op_code:#04x} is not a response")


def parse_request(data: bytes) -> Request:
    """The device side: a request as the meter reads it. Operand sizes follow the operator."""
    if len(data) < 2:
        raise RacpError(f"RACP value {data.hex()} is shorter than op code and operator")
    op_code, operator, operand = data[0], data[1], data[2:]
    wanted = {LESS_OR_EQUAL: 1, GREATER_OR_EQUAL: 1, WITHIN_RANGE: 2}.get(operator, 0)
    if not wanted:
        if operand:
            raise RacpError(f"RACP operator {operator:#04x} takes no operand, got {operand.hex()}")
        return Request(op_code, operator)
    if len(operand) != 1 + 2 * wanted or operand[0] != FILTER_SEQUENCE_NUMBER:
        raise RacpError(f"RACP operand {operand.hex()} is not a sequence-number filter")
    values = tuple(int.from_bytes(operand[1 + 2 * i:3 + 2 * i], "little") for i in range(wanted))
    return Request(op_code, operator, values)


def build_response_code(request_op_code: int, code: int) -> bytes:
    return bytes([RESPONSE_CODE, NULL, request_op_code, code])


def build_number_of_records(count: int) -> bytes:
    return bytes([NUMBER_OF_RECORDS_RESPONSE, NULL]) + count.to_bytes(2, "little")


def next_sequence(sequence: int) -> int:
    return (sequence + 1) % SEQUENCE_MODULO


def is_newer(a: int, b: int) -> bool:
    """Serial-number order (RFC 1982) on the uint16 sequence: 0 is newer than 65535, 3 is older than 500."""
    return 0 < (a - b) % SEQUENCE_MODULO < SEQUENCE_MODULO // 2


def newest(sequences: list[int]) -> int | None:
    """The most recent of a meter's sequence numbers, across a roll-over."""
    best: int | None = None
    for s in sequences:
        if best is None or is_newer(s, best):
            best = s
    return best
