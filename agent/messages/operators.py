"""Messages of ``pantau-agent check`` on a kit with a modem per operator."""

from typing import Final

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "operators.title": {
        "id": "Operator berdampingan (satu modem per operator):",
        "en": "Operators side by side (a modem per operator):",
    },
    "operators.row": {
        "id": "{name}: {operator}, cakupan {coverage}, RSRP {rsrp}, SINR {sinr}",
        "en": "{name}: {operator}, coverage {coverage}, RSRP {rsrp}, SINR {sinr}",
    },
    "operators.unreadable": {
        "id": "{name}: modem di {port} tidak bisa dibaca",
        "en": "{name}: the modem at {port} cannot be read",
    },
    "operators.recommend": {
        "id": "Disarankan untuk TPS ini: {operator} (modem {name}).",
        "en": "Recommended for this TPS: {operator} (modem {name}).",
    },
    "operators.recommend_none": {
        "id": "Tidak ada operator yang terdaftar di sini: pertimbangkan sambungan satelit "
        "(docs/technician.md 2b).",
        "en": "No operator is registered here: consider a satellite link (docs/technician.md 2b).",
    },
    "operators.class.strong": {"id": "kuat", "en": "strong"},
    "operators.class.medium": {"id": "sedang", "en": "medium"},
    "operators.class.weak": {"id": "lemah", "en": "weak"},
    "operators.class.none": {"id": "tidak ada", "en": "none"},
    "operators.class.unknown": {"id": "tidak diketahui", "en": "unknown"},
}
