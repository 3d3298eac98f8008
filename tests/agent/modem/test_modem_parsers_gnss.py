"""GNSS parsers: NMEA-style positions -> signed degrees (Indonesia straddles the
equator, so the hemisphere's sign matters), and the vendors' no-fix answers."""

from __future__ import annotations

import pytest

# -- GNSS: the sign of the hemisphere (Indonesia straddles the equator) ------------------
from agent.modem import gnss
from agent.modem import parsers as p


@pytest.mark.parametrize(
    ("value", "hemi", "degrees"),
    [
        ("0612.528000", "S", -6.2088),  # Jakarta
        ("0612.528000", "N", 6.2088),
        ("10650.736000", "E", 106.8456),
        ("10650.736000", "W", -106.8456),
        ("0030.000000", "S", -0.5),  # just south of the equator (Pontianak is 0.02 N)
        ("0001.200000", "N", 0.02),
        ("1010.632000", "s", -10.1772),  # lower-case hemisphere
        ("5.5", "S", -0.091667),  # unpadded: 0 deg 5.5 min
    ],
)
def test_nmea_to_degrees_sign(value: str, hemi: str, degrees: float) -> None:
    assert gnss.nmea_to_degrees(value, hemi) == pytest.approx(degrees, abs=1e-6)


@pytest.mark.parametrize(
    ("value", "hemi", "match"),
    [
        ("0675.000000", "S", "out of range"),  # 75 minutes
        ("9530.000000", "N", "out of range"),  # 95 degrees of latitude
        ("0612.5", "X", "expected N, S, E or W"),
        ("abc", "S", "expected ddmm.mmmm"),
    ],
)
def test_nmea_to_degrees_rejects_garbage(value: str, hemi: str, match: str) -> None:
    with pytest.raises(p.ParseError, match=match):
        gnss.nmea_to_degrees(value, hemi)


def test_cgpsinfo_south_and_east_are_signed() -> None:
    fix = gnss.parse_cgpsinfo("+CGPSINFO: 0842.000000,S,11513.200000,E,010324,000000.0,5.0,,")
    assert (fix.fix, fix.lat_deg, fix.lon_deg) == (True, -8.7, 115.22)  # Bali
    assert fix.speed_kmh is None and fix.course_deg is None


def test_cgnssinfo_auto_format_and_explicit_format() -> None:
    line = "+CGNSSINFO: 2,04,00,00,0030.000000,S,10920.000000,E,010324,000000.0,10.0,0.0,0.0,1,1,1"
    auto = gnss.parse_cgnssinfo(line)
    assert (auto.lat_deg, auto.lon_deg) == (-0.5, 109.3333333)  # NMEA (zero-padded)
    decimal = "+CGNSSINFO: 2,04,00,0.5,S,109.3333,E,010324,000000.0,10.0,0.0,,1,1,1,04"
    assert gnss.parse_cgnssinfo(decimal).lat_deg == -0.5
    assert gnss.parse_cgnssinfo(decimal, coord_format="decimal").lon_deg == 109.3333
    with pytest.raises(ValueError, match="coord_format='dms'"):
        gnss.parse_cgnssinfo(decimal, coord_format="dms")
    assert gnss.cgnssinfo_decimal("A7608SA-H") and not gnss.cgnssinfo_decimal("SIM7600E")


def test_qgpsloc_no_fix_is_a_result() -> None:
    assert gnss.gnss_from_error(516) == gnss.NO_FIX == gnss.GnssFix(fix=False)
    assert gnss.gnss_from_error(505) is None  # "session not active": a real error
    with pytest.raises(p.ParseError, match="needs 11 fields"):
        gnss.parse_qgpsloc("+QGPSLOC: 024603.000,-6.2")
    with pytest.raises(p.ParseError, match="decimal degrees within 90"):
        gnss.parse_qgpsloc("+QGPSLOC: 024603.000,-96.2,106.8,1.2,45.0,3,0,0,0,140224,08")
