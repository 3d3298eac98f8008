"""Route formats: how one notification is written for the system a route points at.

One module per format, one signature for all (``render(alert, target) -> Request``),
and one registry, :data:`FORMATS`, that the configuration and the dispatcher ask:

- ``pantau``: Pantau's own body (the row's payload, PagerDuty-like keys); POST {url}
- ``pagerduty``: PagerDuty Events API v2; POST {url} (``.../v2/enqueue``)
- ``alertmanager``: the Alertmanager webhook payload, version 4; POST {url}
- ``tmf642``: TM Forum TMF642 Alarm Management v4; POST {url}/alarm, then
  /commentAlarms, /ackAlarms, /clearAlarms (see :mod:`.tmf642`)

Renderers are pure (no I/O, no clock): the same row renders to the same bytes, which the
golden-file tests hold them to. Bodies are strict JSON (no NaN).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from collector.notify_formats import alertmanager, pagerduty, pantau, tmf642
from collector.notify_formats.alert import ACTIONS, Alert, PayloadError, alert_from_row
from collector.notify_formats.request import Request, Target

__all__ = [
    "ACTIONS",
    "FORMATS",
    "Alert",
    "Format",
    "PayloadError",
    "Request",
    "Target",
    "alert_from_row",
    "dumps",
]


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    render: Callable[[Alert, Target], Request]
    #: What the receiver must be given besides a URL ("routing_key"), for config checks.
    needs: tuple[str, ...]
    title: str


FORMATS: Mapping[str, Format] = {
    f.name: f
    for f in (
        Format("pantau", pantau.render, (), "Pantau's webhook body"),
        Format("pagerduty", pagerduty.render, ("routing_key",), "PagerDuty Events API v2"),
        Format("alertmanager", alertmanager.render, (), "Alertmanager webhook, version 4"),
        Format("tmf642", tmf642.render, (), "TM Forum TMF642 Alarm Management"),
    )
}


def dumps(document: Any) -> bytes:
    """Strict, stable JSON: sorted keys, no spaces, no NaN, ASCII (non-ASCII escaped)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")
