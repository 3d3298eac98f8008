"""Messages shared by every technician command."""

from typing import Final

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "common.error.config": {
        "id": "Berkas konfigurasi {path} salah: {error}",
        "en": "The configuration file {path} is wrong: {error}",
    },
    "common.interrupted": {
        "id": "Dihentikan (Ctrl-C): {command} tidak selesai.",
        "en": "Interrupted (Ctrl-C): {command} did not finish.",
    },
    "common.yes": {"id": "ya", "en": "yes"},
    "common.no": {"id": "tidak", "en": "no"},
    "common.unknown": {"id": "tidak diketahui", "en": "unknown"},
}
