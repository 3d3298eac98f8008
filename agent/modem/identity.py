"""Identity answers (pure functions): +CGMI/+CGMM/+CGMR/+CGSN/+CIMI/+CCID and ``ATI``.

``ATI`` answers differ by vendor; both shapes are read:

* labelled (SIMCom, Huawei, Sierra, Telit)::

      Manufacturer: SIMCOM INCORPORATED
      Model: SIMCOM_SIM7600E-H
      Revision: SIM7600M22_V2.0
      IMEI: 867698041234560
      +GCAP: +CGSM

* bare (Quectel): ``Quectel`` / ``EC25`` / ``Revision: EC25EFAR06A06M4G`` -- manufacturer,
  then model, then the labelled revision.

Sources: SIMCom SIM7500/SIM7600 AT manual (ATI), Quectel EC25 AT manual (ATI), Huawei
ME909s spec (ATI), Sierra Wireless MC/EM74xx AT command reference (ATI, IMEI SV, FSN).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "AtiIdentity",
    "identity_text",
    "parse_ati",
    "parse_iccid",
    "parse_imei",
    "parse_imsi",
]


_IDENT_PREFIX = re.compile(
    r"^(\+(CGMI|CGMM|CGMR|GMI|GMM|GMR|CGSN|GSN|CIMI|CCID|ICCID|QCCID)|ICCID|IMEI|IMSI)\s*:\s*",
    re.IGNORECASE,
)


def identity_text(lines: tuple[str, ...] | list[str] | str) -> str | None:
    """The first non-empty answer line of +CGMI/+CGMM/+CGMR (or bare), prefix and
    quotes removed; None if the modem answered nothing."""
    for line in [lines] if isinstance(lines, str) else lines:
        text = _IDENT_PREFIX.sub("", line.strip()).strip().strip('"').strip()
        if text:
            return text
    return None


def _digits(lines: tuple[str, ...] | list[str] | str, lo: int, hi: int) -> str | None:
    text = identity_text(lines)
    if text is None:
        return None
    m = re.search(r"\d{%d,%d}" % (lo, hi), text)  # noqa: UP031 - regex braces
    return None if m is None else m.group(0)


def parse_imei(lines: tuple[str, ...] | list[str] | str) -> str | None:
    """IMEI (15 digits; 14-17 accepted for IMEISV / odd firmwares) from +CGSN."""
    return _digits(lines, 14, 17)


def parse_imsi(lines: tuple[str, ...] | list[str] | str) -> str | None:
    """IMSI (6..15 digits) from +CIMI."""
    return _digits(lines, 6, 15)


def parse_iccid(lines: tuple[str, ...] | list[str] | str) -> str | None:
    """ICCID (18..22 characters: digits with a possible trailing F pad stripped) from
    +CCID / +QCCID / +ICCID / bare."""
    text = identity_text(lines)
    if text is None:
        return None
    m = re.search(r"\d{17,21}[\dFf]?", text)
    if m is None:
        return None
    return m.group(0).rstrip("Ff")


@dataclass(frozen=True, slots=True)
class AtiIdentity:
    """What ``ATI`` says about the modem (fields named as in ModemIdentity)."""

    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    imei: str | None = None


_ATI_LABELS: dict[str, str] = {
    "MANUFACTURER": "manufacturer",
    "MODEL": "model",
    "REVISION": "firmware",
    "IMEI": "imei",
}


def parse_ati(lines: tuple[str, ...] | list[str] | str) -> AtiIdentity:
    """``ATI`` -> manufacturer, model, firmware, IMEI (see the module docstring).

    Labelled lines (``Manufacturer:``, ``Model:``, ``Revision:``, ``IMEI:``) win;
    unlabelled lines fill manufacturer then model in order. ``+GCAP:``, ``IMEI SV:``,
    ``MEID:``, ``FSN:``, ``QCN:`` and other labels are ignored; so is an ``ATI`` echo.
    """
    found: dict[str, str] = {}
    bare: list[str] = []
    for raw in [lines] if isinstance(lines, str) else lines:
        line = raw.strip()
        if not line or line.upper() in ("ATI", "ATI0") or line.startswith("+"):
            continue
        label, sep, value = line.partition(":")
        if sep:
            key = _ATI_LABELS.get(label.strip().upper())
            if key is not None and value.strip():
                found.setdefault(key, value.strip())
            continue
        bare.append(line)
    for key, value in zip(("manufacturer", "model", "firmware"), bare, strict=False):
        found.setdefault(key, value)
    imei = found.get("imei")
    return AtiIdentity(
        manufacturer=found.get("manufacturer"),
        model=found.get("model"),
        firmware=found.get("firmware"),
        imei=None if imei is None else parse_imei(imei),
    )
