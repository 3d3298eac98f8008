"""The agent's ``[sms]`` table: the SMS lifeline (see :mod:`agent.sms`)::

    [sms]
    enabled = true
    collector_number = "+628110000099"   # the collector's gateway modem (its SIM)
    after_s = 180                        # data down this long before the first SMS
    repeat_s = 3600                      # then at most one SMS per this many seconds
    daily_budget = 6                     # and at most this many SMS per UTC day

Off by default: every SMS costs money (about Rp 150-350 on Indonesian prepaid SIMs).
"""

from __future__ import annotations

from dataclasses import dataclass

from pantau.core.smspdu import Address, PduError
from pantau.core.tomlconfig import setting


@dataclass(frozen=True, slots=True)
class SmsSection:
    enabled: bool = False
    collector_number: str = ""
    after_s: float = setting(180.0, min=1, max=86400)
    repeat_s: float = setting(3600.0, min=60, max=86400)
    daily_budget: int = setting(6, min=0, max=100)
    #: How often the lifeline looks at the uplink and the modem.
    check_s: float = setting(15.0, min=0.1, max=600)

    def __post_init__(self) -> None:
        if self.enabled and not self.collector_number:
            raise ValueError(
                "collector_number: required when enabled (the collector's gateway number, "
                "e.g. +628110000099)"
            )
        if self.collector_number:
            try:
                Address.parse(self.collector_number)
            except PduError as exc:
                raise ValueError(f"collector_number: {exc}") from None
