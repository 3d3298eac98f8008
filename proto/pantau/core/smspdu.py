"""SMS transfer-layer PDUs (3GPP TS 23.040) and the GSM 7-bit default alphabet
(TS 23.038): pure functions, bytes and text in, typed values out.

What is covered, as a modem in PDU mode (``AT+CMGF=0``) sends and stores them:

* :func:`encode_submit` / :func:`decode_submit`: SMS-SUBMIT (what ``AT+CMGS`` takes),
  with an empty service-centre prefix (``00``: the SIM's SMSC is used), an optional
  relative validity period, GSM 7-bit or 8-bit data;
* :func:`encode_deliver` / :func:`decode_deliver`: SMS-DELIVER (what ``AT+CMGL`` /
  ``AT+CMGR`` list), with or without its service-centre prefix, the originating address
  in international, national or alphanumeric form, the service-centre time stamp with
  its time zone, and user data in GSM 7-bit, 8-bit or UCS-2;
* a user-data header (TP-UDHI) is skipped (its bytes are kept in ``udh``), as the
  fill bits before 7-bit text that follows it.

Garbage refused with :class:`PduError` naming the octet and the field: odd or non-hex
text, a PDU cut short, a message type other than the one asked for, a length that
disagrees with the bytes present, septets outside the alphabet's extension table
(shown as a space, as the spec asks), digits that are not BCD.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

# fmt: off
_BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# fmt: on
_EXTENSION: Final = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
_ESC: Final = 0x1B
_TO_BASIC: Final = {c: i for i, c in enumerate(_BASIC) if i != _ESC}
_TO_EXTENSION: Final = {c: i for i, c in _EXTENSION.items()}

#: Longest user data: 140 octets, or 160 septets.
MAX_UD_OCTETS: Final = 140
MAX_SEPTETS: Final = 160


class PduError(ValueError):
    """A PDU (or text to put in one) that cannot be encoded or decoded, and why."""


class Alphabet(IntEnum):
    """The user data's alphabet (TP-DCS bits 3-2 in the general coding group)."""

    GSM7 = 0
    DATA8 = 1
    UCS2 = 2


class AddressType(IntEnum):
    """Type of number (TON) of an address, bits 6-4 of its type octet."""

    UNKNOWN = 0
    INTERNATIONAL = 1
    NATIONAL = 2
    ALPHANUMERIC = 5


@dataclass(frozen=True, slots=True)
class Address:
    """A phone number (digits, without ``+``) or an alphanumeric sender name."""

    value: str
    kind: AddressType = AddressType.INTERNATIONAL

    @classmethod
    def parse(cls, text: str) -> Address:
        """``+6281234567890`` -> international; ``081234567890`` -> unknown (national)."""
        number = text.strip().replace(" ", "").replace("-", "")
        kind = AddressType.UNKNOWN
        if number.startswith("+"):
            number, kind = number[1:], AddressType.INTERNATIONAL
        if not number or not number.isdigit() or len(number) > 20:
            raise PduError(f"phone number {text!r}: expected up to 20 digits, optionally after +")
        return cls(number, kind)

    def __str__(self) -> str:
        return f"+{self.value}" if self.kind is AddressType.INTERNATIONAL else self.value


@dataclass(frozen=True, slots=True)
class Submit:
    """An SMS-SUBMIT: what a kit sends."""

    destination: Address
    text: str = ""
    data: bytes | None = None  # 8-bit data instead of text
    reference: int = 0  # TP-MR; the modem usually replaces it
    validity_minutes: int | None = None  # relative validity period
    request_report: bool = False
    udh: bytes = b""


@dataclass(frozen=True, slots=True)
class Deliver:
    """An SMS-DELIVER: what a receiving modem stores."""

    originator: Address
    timestamp: dt.datetime  # service-centre time stamp, with its time zone
    text: str = ""
    data: bytes | None = None  # 8-bit data (text is then "")
    smsc: Address | None = None
    alphabet: Alphabet = Alphabet.GSM7
    udh: bytes = b""


# -- the GSM 7-bit alphabet -------------------------------------------------------------


def gsm7_septets(text: str) -> list[int]:
    """Septet values for ``text`` (extension characters take two); PduError otherwise."""
    out: list[int] = []
    for i, ch in enumerate(text):
        if ch in _TO_BASIC:
            out.append(_TO_BASIC[ch])
        elif ch in _TO_EXTENSION:
            out += (_ESC, _TO_EXTENSION[ch])
        else:
            raise PduError(
                f"character {ch!r} at position {i} is not in the GSM 7-bit alphabet "
                "(send it as 8-bit data)"
            )
    return out


def gsm7_text(septets: list[int]) -> str:
    """Text for septet values; an unknown extension code reads as the basic character."""
    out: list[str] = []
    escape = False
    for value in septets:
        if escape:
            out.append(_EXTENSION.get(value, " " if value == _ESC else _BASIC[value]))
            escape = False
        elif value == _ESC:
            escape = True
        else:
            out.append(_BASIC[value])
    return "".join(out)


def pack_septets(septets: list[int], fill_bits: int = 0) -> bytes:
    """Pack septets LSB first after ``fill_bits`` zero bits (0-6, after a header)."""
    acc = 0
    nbits = fill_bits
    out = bytearray()
    for value in septets:
        acc |= (value & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    """The first ``count`` septets of ``data``, after ``fill_bits`` bits."""
    need = (count * 7 + fill_bits + 7) // 8
    if len(data) < need:
        raise PduError(f"user data: {count} septets need {need} octets, found {len(data)}")
    value = int.from_bytes(data[:need], "little") >> fill_bits
    return [(value >> (7 * i)) & 0x7F for i in range(count)]


# -- fields -----------------------------------------------------------------------------


def _semi_octets(digits: str) -> bytes:
    if len(digits) % 2:
        digits += "F"
    return bytes(int(digits[i + 1] + digits[i], 16) for i in range(0, len(digits), 2))


def _digits(data: bytes, count: int, where: str) -> str:
    out: list[str] = []
    for octet in data:
        for nibble in (octet & 0x0F, octet >> 4):
            if len(out) < count:
                if nibble > 9:
                    raise PduError(f"{where}: semi-octet {nibble:X} is not a decimal digit")
                out.append(str(nibble))
    return "".join(out)


def _type_octet(kind: AddressType) -> int:
    plan = 0 if kind is AddressType.ALPHANUMERIC else 1  # ISDN/telephone numbering plan
    return 0x80 | (int(kind) << 4) | plan


def _encode_address(address: Address) -> bytes:
    if address.kind is AddressType.ALPHANUMERIC:
        packed = pack_septets(gsm7_septets(address.value))
        semis = (len(address.value) * 7 + 3) // 4
        return bytes((semis, _type_octet(address.kind))) + packed
    return bytes((len(address.value), _type_octet(address.kind))) + _semi_octets(address.value)


class _Reader:
    """Octets of one PDU, consumed in order, with errors naming the field."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int, field: str) -> bytes:
        if self.pos + n > len(self.data):
            raise PduError(
                f"PDU cut short in {field} at octet {self.pos}: "
                f"needs {n}, {len(self.data) - self.pos} left"
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def octet(self, field: str) -> int:
        return self.take(1, field)[0]


def _read_address(r: _Reader, field: str) -> Address:
    semis = r.octet(f"{field} length")
    kind_octet = r.octet(f"{field} type")
    raw = r.take((semis + 1) // 2, field)
    ton = (kind_octet >> 4) & 0x07
    if ton == AddressType.ALPHANUMERIC:
        text = gsm7_text(unpack_septets(raw, semis * 4 // 7))
        return Address(text, AddressType.ALPHANUMERIC)
    kind = AddressType(ton) if ton in (0, 1, 2) else AddressType.UNKNOWN
    return Address(_digits(raw, semis, field), kind)


def _read_smsc(r: _Reader) -> Address | None:
    size = r.octet("service-centre length")
    if size == 0:
        return None
    kind_octet = r.octet("service-centre type")
    raw = r.take(size - 1, "service-centre address")
    digits = _digits(raw, 2 * len(raw) - (1 if raw and raw[-1] >> 4 == 0xF else 0), "SMSC")
    ton = (kind_octet >> 4) & 0x07
    return Address(digits, AddressType(ton) if ton in (0, 1, 2) else AddressType.UNKNOWN)


def _encode_smsc(smsc: Address | None) -> bytes:
    if smsc is None:
        return b"\x00"
    body = bytes((_type_octet(smsc.kind),)) + _semi_octets(smsc.value)
    return bytes((len(body),)) + body


def _bcd(value: int) -> int:
    return (value % 10) << 4 | (value // 10)


def _unbcd(octet: int, field: str) -> int:
    low, high = octet & 0x0F, octet >> 4
    if low > 9 or high > 9:
        raise PduError(f"time stamp {field}: octet {octet:02X} is not swapped BCD")
    return low * 10 + high


def _encode_timestamp(when: dt.datetime) -> bytes:
    offset = when.utcoffset()
    if offset is None:
        raise PduError("time stamp: a time zone is required")
    quarters = int(offset.total_seconds()) // 900
    tz = _bcd(abs(quarters)) | (0x08 if quarters < 0 else 0)
    parts = (when.year % 100, when.month, when.day, when.hour, when.minute, when.second)
    return bytes(_bcd(p) for p in parts) + bytes((tz,))


def _read_timestamp(r: _Reader) -> dt.datetime:
    raw = r.take(7, "service-centre time stamp")
    names = ("year", "month", "day", "hour", "minute", "second")
    year, month, day, hour, minute, second = (
        _unbcd(o, n) for o, n in zip(raw[:6], names, strict=True)
    )
    tz = raw[6]
    quarters = (tz & 0x07) * 10 + (tz >> 4)
    if tz >> 4 > 9:
        raise PduError(f"time stamp zone: octet {tz:02X} is not swapped BCD")
    zone = dt.timezone(dt.timedelta(minutes=15 * (-quarters if tz & 0x08 else quarters)))
    try:
        return dt.datetime(2000 + year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError as exc:
        raise PduError(f"time stamp: {exc}") from exc


def _dcs(alphabet: Alphabet) -> int:
    return int(alphabet) << 2


def _alphabet_of(dcs: int) -> Alphabet:
    group = dcs >> 4
    if group <= 0x3:  # general data coding (bit 5: compressed, unsupported)
        if dcs & 0x20:
            raise PduError(f"data coding {dcs:02X}: compressed text is not supported")
        bits = (dcs >> 2) & 0x03
        return Alphabet(bits) if bits < 3 else Alphabet.DATA8
    if group == 0xF:
        return Alphabet.DATA8 if dcs & 0x04 else Alphabet.GSM7
    if group in (0xC, 0xD):  # message waiting, store or discard: GSM 7-bit
        return Alphabet.GSM7
    if group == 0xE:
        return Alphabet.UCS2
    raise PduError(f"data coding {dcs:02X}: reserved coding group")


def _encode_user_data(text: str, data: bytes | None, udh: bytes) -> tuple[int, int, bytes]:
    """(DCS, UDL, UD) for text (GSM 7-bit) or data (8-bit), after an optional header."""
    header = bytes((len(udh),)) + udh if udh else b""
    if data is not None:
        if len(header) + len(data) > MAX_UD_OCTETS:
            raise PduError(f"8-bit data: {len(header) + len(data)} octets, at most 140 fit")
        return _dcs(Alphabet.DATA8), len(header) + len(data), header + data
    septets = gsm7_septets(text)
    fill = (7 - len(header) * 8 % 7) % 7
    header_septets = (len(header) * 8 + fill) // 7
    if header_septets + len(septets) > MAX_SEPTETS:
        raise PduError(f"text: {header_septets + len(septets)} septets, at most 160 fit in one SMS")
    return _dcs(Alphabet.GSM7), header_septets + len(septets), header + pack_septets(septets, fill)


def _read_user_data(
    r: _Reader, alphabet: Alphabet, has_udh: bool
) -> tuple[str, bytes | None, bytes]:
    """(text, data, udh): text for GSM 7-bit and UCS-2, data for 8-bit."""
    udl = r.octet("user data length")
    size = (udl * 7 + 7) // 8 if alphabet is Alphabet.GSM7 else udl
    if size > MAX_UD_OCTETS:
        raise PduError(f"user data length {udl} exceeds one SMS")
    raw = r.take(size, "user data")
    if r.pos != len(r.data):
        raise PduError(f"{len(r.data) - r.pos} octets after the user data (length {udl})")
    udh = b""
    skip = 0
    if has_udh:
        if not raw or raw[0] + 1 > len(raw):
            raise PduError("user-data header longer than the user data")
        udh = raw[1 : raw[0] + 1]
        skip = raw[0] + 1
    if alphabet is Alphabet.GSM7:
        fill = (7 - skip * 8 % 7) % 7
        header_septets = (skip * 8 + fill) // 7
        septets = unpack_septets(raw[skip:], udl - header_septets, fill) if udl else []
        return gsm7_text(septets), None, udh
    body = raw[skip:]
    if alphabet is Alphabet.UCS2:
        if len(body) % 2:
            raise PduError("UCS-2 text with an odd number of octets")
        return body.decode("utf-16-be", "replace"), None, udh
    return "", body, udh


def _from_hex(pdu: str) -> bytes:
    text = pdu.strip()
    if len(text) % 2:
        raise PduError(f"PDU of {len(text)} hex digits: expected an even number")
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise PduError(f"PDU is not hexadecimal: {exc}") from exc


# -- SMS-SUBMIT ---------------------------------------------------------------------------


def encode_submit(message: Submit) -> tuple[str, int]:
    """(hex PDU with an empty SMSC prefix, length for ``AT+CMGS=<length>``).

    The length counts the TPDU octets, without the SMSC prefix (TS 27.005).
    """
    if not 0 <= message.reference <= 255:
        raise PduError(f"message reference {message.reference}: expected 0-255")
    dcs, udl, ud = _encode_user_data(message.text, message.data, message.udh)
    first = 0x01  # SMS-SUBMIT
    vp = b""
    if message.validity_minutes is not None:
        first |= 0x10  # relative validity period
        vp = bytes((_relative_validity(message.validity_minutes),))
    if message.request_report:
        first |= 0x20
    if message.udh:
        first |= 0x40
    tpdu = (
        bytes((first, message.reference))
        + _encode_address(message.destination)
        + bytes((0x00, dcs))
        + vp
        + bytes((udl,))
        + ud
    )
    return (b"\x00" + tpdu).hex().upper(), len(tpdu)


def _relative_validity(minutes: int) -> int:
    """TP-VP relative: 0-143 five minutes each, then half hours, days, weeks."""
    if minutes <= 0:
        raise PduError(f"validity {minutes} min: expected > 0")
    if minutes <= 720:
        return max(0, -(-minutes // 5) - 1)
    if minutes <= 1440:
        return 143 + -(-(minutes - 720) // 30)
    days = -(-minutes // 1440)
    if days <= 30:
        return 166 + days
    return min(255, 192 + -(-days // 7))


def decode_submit(pdu: str, *, with_smsc: bool = True) -> Submit:
    """Decode an SMS-SUBMIT (as a modem is given it, SMSC prefix first by default)."""
    r = _Reader(_from_hex(pdu))
    if with_smsc:
        _read_smsc(r)
    first = r.octet("first octet")
    if first & 0x03 != 0x01:
        raise PduError(f"first octet {first:02X}: not an SMS-SUBMIT (message type {first & 3})")
    reference = r.octet("message reference")
    destination = _read_address(r, "destination address")
    r.octet("protocol identifier")
    alphabet = _alphabet_of(r.octet("data coding scheme"))
    vpf = (first >> 3) & 0x03
    validity: int | None = None
    if vpf == 0x02:
        validity = _validity_minutes(r.octet("validity period"))
    elif vpf in (0x01, 0x03):
        r.take(7, "validity period")
    text, data, udh = _read_user_data(r, alphabet, bool(first & 0x40))
    return Submit(destination, text, data, reference, validity, bool(first & 0x20), udh)


def _validity_minutes(vp: int) -> int:
    if vp <= 143:
        return (vp + 1) * 5
    if vp <= 167:
        return 720 + (vp - 143) * 30
    if vp <= 196:
        return (vp - 166) * 1440
    return (vp - 192) * 7 * 1440


# -- SMS-DELIVER --------------------------------------------------------------------------


def encode_deliver(message: Deliver) -> str:
    """Hex PDU of an SMS-DELIVER with its SMSC prefix (as ``AT+CMGL`` lists it)."""
    if message.alphabet is Alphabet.UCS2:
        body = message.text.encode("utf-16-be")
        header = bytes((len(message.udh),)) + message.udh if message.udh else b""
        if len(header) + len(body) > MAX_UD_OCTETS:
            raise PduError(f"UCS-2 text: {len(header) + len(body)} octets, at most 140 fit")
        dcs, udl, ud = _dcs(Alphabet.UCS2), len(header) + len(body), header + body
    else:
        dcs, udl, ud = _encode_user_data(message.text, message.data, message.udh)
    first = 0x04  # SMS-DELIVER, no more messages waiting
    if message.udh:
        first |= 0x40
    tpdu = (
        bytes((first,))
        + _encode_address(message.originator)
        + bytes((0x00, dcs))
        + _encode_timestamp(message.timestamp)
        + bytes((udl,))
        + ud
    )
    return (_encode_smsc(message.smsc) + tpdu).hex().upper()


def decode_deliver(pdu: str, *, with_smsc: bool = True) -> Deliver:
    """Decode an SMS-DELIVER (with its SMSC prefix, as stored, by default)."""
    r = _Reader(_from_hex(pdu))
    smsc = _read_smsc(r) if with_smsc else None
    first = r.octet("first octet")
    if first & 0x03 != 0x00:
        raise PduError(f"first octet {first:02X}: not an SMS-DELIVER (message type {first & 3})")
    originator = _read_address(r, "originating address")
    r.octet("protocol identifier")
    alphabet = _alphabet_of(r.octet("data coding scheme"))
    timestamp = _read_timestamp(r)
    text, data, udh = _read_user_data(r, alphabet, bool(first & 0x40))
    return Deliver(originator, timestamp, text, data, smsc, alphabet, udh)
