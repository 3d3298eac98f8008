"""SMS PDUs (TS 23.040) and the GSM 7-bit alphabet: known vectors, round trips, and
the exact error each kind of garbage gets."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pantau.core import smspdu
from pantau.core.smspdu import Address, AddressType, Alphabet, Deliver, PduError, Submit

WIB = dt.timezone(dt.timedelta(hours=7))
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCXYZÄÖÑÜ§¿axyzäöñüà"
)
GSM_CHARS = st.sampled_from(GSM_BASIC + "^{}\\[~]|€\f")


def test_septet_packing_known_vector() -> None:
    septets = smspdu.gsm7_septets("hellohello")
    assert smspdu.pack_septets(septets).hex().upper() == "E8329BFD4697D9EC37"
    assert smspdu.gsm7_text(smspdu.unpack_septets(bytes.fromhex("E8329BFD4697D9EC37"), 10)) == (
        "hellohello"
    )


def test_extension_characters_take_two_septets() -> None:
    assert smspdu.gsm7_septets("€[") == [0x1B, 0x65, 0x1B, 0x3C]
    assert smspdu.gsm7_text([0x1B, 0x65, 0x1B, 0x3C]) == "€["


def test_unknown_extension_code_reads_as_the_basic_character() -> None:
    assert smspdu.gsm7_text([0x1B, 0x41]) == "A"


def test_submit_layout_field_by_field() -> None:
    pdu, length = smspdu.encode_submit(Submit(Address.parse("+6281234567890"), "hellohello"))
    # SMSC 00 | 01 SUBMIT | MR 00 | 0D digits, 91 intl, swapped BCD | PID 00 | DCS 00 | UDL 0A
    assert pdu == "0001000D91261832547698F000000AE8329BFD4697D9EC37"
    assert length == len(pdu) // 2 - 1


def test_submit_with_validity_and_report() -> None:
    msg = Submit(Address.parse("0812"), "x", validity_minutes=1440, request_report=True)
    pdu, _ = smspdu.encode_submit(msg)
    assert pdu.startswith("0031000481")  # VPF relative + SRR; national number 4 digits
    assert smspdu.decode_submit(pdu) == msg


@given(
    text=st.text(GSM_CHARS, max_size=70),
    number=st.from_regex(r"\+?[0-9]{3,15}", fullmatch=True),
    ref=st.integers(0, 255),
    validity=st.none() | st.sampled_from([5, 60, 720, 750, 1440, 2880, 43200, 10080 * 8]),
)
def test_submit_round_trip(text: str, number: str, ref: int, validity: int | None) -> None:
    msg = Submit(Address.parse(number), text, reference=ref, validity_minutes=validity)
    pdu, length = smspdu.encode_submit(msg)
    assert length == len(pdu) // 2 - 1
    assert smspdu.decode_submit(pdu) == msg


@given(data=st.binary(max_size=140), number=st.from_regex(r"[0-9]{3,15}", fullmatch=True))
def test_submit_round_trip_8bit(data: bytes, number: str) -> None:
    msg = Submit(Address.parse(number), data=data)
    assert smspdu.decode_submit(smspdu.encode_submit(msg)[0]) == msg


@given(
    text=st.text(GSM_CHARS, max_size=60),
    udh=st.binary(min_size=0, max_size=12),
    sender=st.from_regex(r"[0-9]{3,15}", fullmatch=True)
    | st.from_regex(r"[A-Za-z0-9 ]{1,11}", fullmatch=True),
    minutes=st.integers(-12 * 4, 14 * 4).map(lambda q: q * 15),
    smsc=st.none() | st.from_regex(r"[0-9]{4,12}", fullmatch=True),
    when=st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31)),
)
def test_deliver_round_trip(
    *, text: str, udh: bytes, sender: str, minutes: int, smsc: str | None, when: dt.datetime
) -> None:
    kind = AddressType.UNKNOWN if sender.isdigit() else AddressType.ALPHANUMERIC
    stamp = when.replace(microsecond=0, tzinfo=dt.timezone(dt.timedelta(minutes=minutes)))
    msg = Deliver(
        Address(sender, kind),
        stamp,
        text,
        smsc=None if smsc is None else Address(smsc),
        udh=udh,
    )
    assert smspdu.decode_deliver(smspdu.encode_deliver(msg)) == msg


@given(text=st.text(max_size=70).filter(lambda t: "\ud800" not in t), data=st.binary(max_size=120))
def test_deliver_round_trip_ucs2_and_8bit(text: str, data: bytes) -> None:
    text = text.encode("utf-16-be", "ignore")[:140].decode("utf-16-be", "ignore")
    stamp = dt.datetime(2026, 12, 4, 23, 59, 1, tzinfo=WIB)
    ucs2 = Deliver(Address("628111"), stamp, text, alphabet=Alphabet.UCS2)
    assert smspdu.decode_deliver(smspdu.encode_deliver(ucs2)) == ucs2
    raw = Deliver(Address("628111"), stamp, data=data, alphabet=Alphabet.DATA8)
    assert smspdu.decode_deliver(smspdu.encode_deliver(raw)) == raw


def test_deliver_time_zone_sign_and_smsc() -> None:
    stamp = dt.datetime(2026, 12, 4, 17, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    pdu = smspdu.encode_deliver(Deliver(Address("62811"), stamp, "ok", smsc=Address("62816124")))
    assert pdu.startswith("0591")  # SMSC: 5 octets, international
    assert pdu[-8:-6] == "29"  # 12 quarters, swapped (21), sign bit 08 set
    back = smspdu.decode_deliver(pdu)
    assert back.timestamp == stamp and back.smsc == Address("62816124")


@pytest.mark.parametrize(
    ("pdu", "error"),
    [
        ("0", "PDU of 1 hex digits: expected an even number"),
        ("ZZ", "PDU is not hexadecimal"),
        ("00", "PDU cut short in first octet at octet 1: needs 1, 0 left"),
        ("0001", "not an SMS-DELIVER (message type 1)"),
        ("00040B91", "PDU cut short in originating address at octet 4"),
        ("0004038121F30000626012719050000161FF", "1 octets after the user data (length 1)"),
        (
            "0004038121F300006260127190500005E8",
            "PDU cut short in user data at octet 16: needs 5, 1 left",
        ),
        ("0004038121F30000626012719050", "cut short in service-centre time stamp"),
        ("0004038121F300006213127190500001E8", "month must be in 1..12"),
        ("0004038121FA0000626012719050000161", "semi-octet A is not a decimal digit"),
        ("0004038121F300246260127190500001E8", "compressed text is not supported"),
    ],
)
def test_deliver_garbage_gets_a_specific_error(pdu: str, error: str) -> None:
    with pytest.raises(PduError, match=error.replace("(", r"\(").replace(")", r"\)")):
        smspdu.decode_deliver(pdu)


def test_submit_refusals() -> None:
    with pytest.raises(PduError, match="'ф' at position 1 is not in the GSM 7-bit alphabet"):
        smspdu.encode_submit(Submit(Address("1"), "aф"))
    with pytest.raises(PduError, match="161 septets, at most 160 fit"):
        smspdu.encode_submit(Submit(Address("1"), "a" * 161))
    with pytest.raises(PduError, match="up to 20 digits"):
        Address.parse("+62-81x")
    with pytest.raises(PduError, match="not an SMS-SUBMIT"):
        smspdu.decode_submit("0004038121F300006260127190500001E8")


def test_a_160_character_text_fits() -> None:
    pdu, length = smspdu.encode_submit(Submit(Address("1"), "a" * 160))
    assert length == 2 + 3 + 2 + 1 + 140
    assert smspdu.decode_submit(pdu).text == "a" * 160
