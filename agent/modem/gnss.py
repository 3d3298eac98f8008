"""GNSS position answers (pure functions): Quectel ``+QGPSLOC``, SIMCom ``+CGPSINFO`` and
``+CGNSSINFO``.

Every parser returns a :class:`GnssFix`. "No fix yet" is a result, never an exception:
``GnssFix(fix=False)`` (:data:`NO_FIX`). Latitudes south of the equator and longitudes
west of Greenwich are negative (Indonesia spans about 6 deg N .. 11 deg S: the sign is
the difference between Aceh and Nusa Tenggara).

Coordinate encodings:

* decimal degrees, signed (``-6.20880``): Quectel ``AT+QGPSLOC=2``, SIMCom A76xx
  ``+CGNSSINFO``;
* NMEA ``ddmm.mmmm`` (latitude) / ``dddmm.mmmm`` (longitude) with a hemisphere letter,
  either in the next field (``0612.528000,S``; SIMCom ``+CGPSINFO``, SIM7600
  ``+CGNSSINFO``, ``AT+QGPSLOC=1``) or glued to the number (``0612.5280S``;
  ``AT+QGPSLOC=0``). Degrees = dd + mm.mmmm / 60, negated for S / W.

Sources: Quectel EC25 & EG25-G GNSS Application Note (``AT+QGPSLOC``, ``+CME ERROR: 516``
= "Not fixed now"); SIMCom SIM7500/SIM7600 Series AT Command Manual V1.08
(``+CGPSINFO``, ``+CGNSSINFO``); LilyGO A7608 examples for the decimal ``+CGNSSINFO``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.modem.fields import ParseError, field_at, first_line, split_fields, to_int

__all__ = [
    "CGNSSINFO_DECIMAL_MODELS",
    "NO_FIX",
    "QUECTEL_NO_FIX_CME",
    "GnssFix",
    "cgnssinfo_decimal",
    "gnss_from_error",
    "nmea_to_degrees",
    "parse_cgnssinfo",
    "parse_cgpsinfo",
    "parse_qgpsloc",
]

#: +CME ERROR code Quectel returns to AT+QGPSLOC while it has no fix ("Not fixed now").
QUECTEL_NO_FIX_CME = 516
#: SIMCom models whose +CGNSSINFO prints decimal degrees (A76xx family); the others
#: (SIM7500/SIM7600) print NMEA ddmm.mmmm. A per-model setting, never a guess.
CGNSSINFO_DECIMAL_MODELS: tuple[str, ...] = ("A7600", "A7602", "A7605", "A7608", "A7670", "A7672")

_KNOTS_TO_KMH = 1.852


@dataclass(frozen=True, slots=True)
class GnssFix:
    """A position (signed decimal degrees, WGS84) or ``fix=False`` with nothing else."""

    fix: bool
    lat_deg: float | None = None
    lon_deg: float | None = None
    altitude_m: float | None = None
    hdop: float | None = None
    satellites: int | None = None
    speed_kmh: float | None = None
    course_deg: float | None = None
    utc: str | None = None  # ISO 8601, e.g. "2024-02-14T02:46:03Z"


#: The answer while the receiver has no fix.
NO_FIX = GnssFix(fix=False)


def cgnssinfo_decimal(model: str | None) -> bool:
    """True when ``model`` prints +CGNSSINFO coordinates in decimal degrees."""
    name = (model or "").upper()
    return any(m in name for m in CGNSSINFO_DECIMAL_MODELS)


def gnss_from_error(code: int | None) -> GnssFix | None:
    """:data:`NO_FIX` for Quectel's ``+CME ERROR: 516``; None for any other error."""
    return NO_FIX if code == QUECTEL_NO_FIX_CME else None


def _float(text: str | None) -> float | None:
    text = (text or "").strip()
    if text in ("", "-"):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def nmea_to_degrees(value: str, hemisphere: str) -> float:
    """``"0612.528000", "S"`` -> -6.2088 (ddmm.mmmm / dddmm.mmmm + N/S/E/W).

    Raises ParseError for minutes >= 60, a bad hemisphere or a non-number.
    """
    hemi = hemisphere.strip().upper()
    if hemi not in ("N", "S", "E", "W"):
        raise ParseError(f"GNSS hemisphere {hemisphere!r}: expected N, S, E or W")
    m = re.fullmatch(r"\s*(\d*?)(\d{1,2})(\.\d+)?\s*", value)
    if m is None:
        raise ParseError(f"GNSS coordinate {value!r}: expected ddmm.mmmm")
    degrees = int(m.group(1) or "0")
    minutes = float(m.group(2) + (m.group(3) or ""))
    limit = 90 if hemi in ("N", "S") else 180
    if minutes >= 60 or degrees > limit:
        raise ParseError(f"GNSS coordinate {value!r}{hemi}: out of range")
    result = round(degrees + minutes / 60, 7)
    return -result if hemi in ("S", "W") else result


def _decimal(value: str | None, limit: float) -> float:
    number = _float(value)
    if number is None or abs(number) > limit:
        raise ParseError(f"GNSS coordinate {value!r}: expected decimal degrees within {limit}")
    return number


def _utc(date: str | None, time: str | None) -> str | None:
    """ddmmyy + hhmmss[.s] -> "20yy-mm-ddThh:mm:ssZ" (None if either is malformed)."""
    d = re.fullmatch(r"(\d{2})(\d{2})(\d{2})", (date or "").strip())
    t = re.fullmatch(r"(\d{2})(\d{2})(\d{2})(\.\d*)?", (time or "").strip())
    if d is None or t is None:
        return None
    day, month, year = d.groups()
    hh, mm, ss = t.group(1), t.group(2), t.group(3)
    return f"20{year}-{month}-{day}T{hh}:{mm}:{ss}Z"


def _empty(fields: list[str]) -> bool:
    return all(not x.strip() for x in fields)


def parse_qgpsloc(lines: tuple[str, ...] | list[str] | str) -> GnssFix:
    """``+QGPSLOC: <UTC>,<lat>,<lon>,<hdop>,<alt>,<fix>,<cog>,<spkm>,<spkn>,<date>,<nsat>``.

    ``AT+QGPSLOC=2`` gives signed decimal degrees (``-6.20880,106.84560``); mode 0 glues
    the hemisphere to ddmm.mmmm (``0612.5280S``); mode 1 puts it in the next field
    (``0612.528000,S,10650.736000,E`` -- the later fields shift by two). ``fix`` is 2
    (2D) or 3 (3D); ``spkm`` is km/h; ``cog`` degrees. The answer to a request without
    a fix is ``+CME ERROR: 516`` (see :func:`gnss_from_error`), not a line.
    """
    f = split_fields(first_line(lines, "+QGPSLOC:"), "+QGPSLOC:")
    if len(f) < 11:
        raise ParseError(f"+QGPSLOC needs 11 fields, got {len(f)}: {f!r}")
    lat_text, lon_text = f[1], f[2]
    if f[2].upper() in ("N", "S"):  # mode 1: hemisphere letters in their own fields
        lat = nmea_to_degrees(f[1], f[2])
        lon = nmea_to_degrees(f[3], f[4])
        f = [f[0], "", "", *f[5:]]
    elif lat_text[-1:].upper() in ("N", "S"):  # mode 0
        lat = nmea_to_degrees(lat_text[:-1], lat_text[-1])
        lon = nmea_to_degrees(lon_text[:-1], lon_text[-1])
    else:
        lat = _decimal(lat_text, 90)
        lon = _decimal(lon_text, 180)
    return GnssFix(
        fix=True,
        lat_deg=lat,
        lon_deg=lon,
        hdop=_float(f[3]),
        altitude_m=_float(f[4]),
        course_deg=_float(f[6]),
        speed_kmh=_float(f[7]),
        utc=_utc(f[9], f[0]),
        satellites=to_int(field_at(f, 10)),
    )


def _knots(text: str | None) -> float | None:
    value = _float(text)
    return None if value is None else round(value * _KNOTS_TO_KMH, 2)


def parse_cgpsinfo(lines: tuple[str, ...] | list[str] | str) -> GnssFix:
    """``+CGPSINFO: <lat>,<N/S>,<lon>,<E/W>,<date>,<UTC>,<alt>,<speed>,<course>`` (SIMCom).

    lat is ddmm.mmmmmm, lon dddmm.mmmmmm (NMEA, always); date ddmmyy; UTC hhmmss.s;
    alt metres; speed knots (reported here in km/h, x1.852); course degrees.
    ``+CGPSINFO: ,,,,,,,,`` (all empty) means no fix.
    """
    f = split_fields(first_line(lines, "+CGPSINFO:"), "+CGPSINFO:")
    if _empty(f[:4]):
        return NO_FIX
    if len(f) < 4:
        raise ParseError(f"+CGPSINFO needs lat,N/S,lon,E/W: {f!r}")
    return GnssFix(
        fix=True,
        lat_deg=nmea_to_degrees(f[0], f[1]),
        lon_deg=nmea_to_degrees(f[2], f[3]),
        utc=_utc(field_at(f, 4), field_at(f, 5)),
        altitude_m=_float(field_at(f, 6)),
        speed_kmh=_knots(field_at(f, 7)),
        course_deg=_float(field_at(f, 8)),
    )


def _coordinate(value: str, hemisphere: str, limit: float, digits: int, fmt: str) -> float:
    if fmt == "auto":
        whole = value.strip().split(".")[0].lstrip("-")
        fmt = "ddmm" if len(whole) >= digits else "decimal"
    if fmt == "ddmm":
        return nmea_to_degrees(value, hemisphere)
    if fmt != "decimal":
        raise ValueError(f"coord_format={fmt!r}: expected 'auto', 'ddmm' or 'decimal'")
    number = abs(_decimal(value, limit))
    return -number if hemisphere.strip().upper() in ("S", "W") else number


def parse_cgnssinfo(
    lines: tuple[str, ...] | list[str] | str, *, coord_format: str = "auto"
) -> GnssFix:
    """``+CGNSSINFO: <mode>,<SV counts...>,<lat>,<N/S>,<lon>,<E/W>,<date>,<UTC>,<alt>,
    <speed>,<course>,<PDOP>,<HDOP>,<VDOP>[,...]`` (SIMCom).

    The number of satellite-count fields differs by firmware (SIM7600: GPS, GLONASS,
    BEIDOU; newer ones add GALILEO; A76xx print two), so the layout is anchored on the
    N/S field. ``satellites`` is the sum of the counts before the latitude. Coordinates
    are NMEA ddmm.mmmm on SIM7500/SIM7600 and decimal degrees on A76xx:
    ``coord_format`` "ddmm" / "decimal" (see :func:`cgnssinfo_decimal`), or "auto":
    NMEA when the integer part is zero-padded to 4 (lat) / 5 (lon) digits as NMEA
    prints it, decimal otherwise. Speed in knots, reported in km/h. ``mode`` 2 = 2D,
    3 = 3D; all fields empty (``+CGNSSINFO: ,,,,,,,,,,,,,,,``) means no fix.
    """
    f = split_fields(first_line(lines, "+CGNSSINFO:"), "+CGNSSINFO:")
    if _empty(f):
        return NO_FIX
    ns = next(
        (
            i
            for i in range(2, len(f) - 2)
            if f[i].upper() in ("N", "S") and f[i + 2].upper() in ("E", "W")
        ),
        None,
    )
    if ns is None:
        if to_int(field_at(f, 0)) in (None, 0, 1):
            return NO_FIX
        raise ParseError(f"+CGNSSINFO without N/S and E/W fields: {f!r}")
    counts = [to_int(x) for x in f[1 : ns - 1]]
    return GnssFix(
        fix=True,
        lat_deg=_coordinate(f[ns - 1], f[ns], 90, 4, coord_format),
        lon_deg=_coordinate(f[ns + 1], f[ns + 2], 180, 5, coord_format),
        utc=_utc(field_at(f, ns + 3), field_at(f, ns + 4)),
        altitude_m=_float(field_at(f, ns + 5)),
        speed_kmh=_knots(field_at(f, ns + 6)),
        course_deg=_float(field_at(f, ns + 7)),
        hdop=_float(field_at(f, ns + 9)),
        satellites=sum(c for c in counts if c is not None) if counts else None,
    )
