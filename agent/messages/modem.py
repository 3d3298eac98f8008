"""Messages of ``pantau-agent modem`` (read, detect)."""

from typing import Final

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "modem.error": {
        "id": "pantau-agent modem {command}: {error}",
        "en": "pantau-agent modem {command}: {error}",
    },
    "modem.detect.none": {
        "id": "tidak ada port yang bisa dicoba (modem sudah terpasang? coba --candidates JALUR)",
        "en": "no candidate ports found (is the modem plugged in? try --candidates PATH)",
    },
    "modem.detect.held": {
        "id": "dipakai {holder}: tidak dicoba",
        "en": "held by {holder}: not probed",
    },
    "modem.detect.another_process": {"id": "program lain", "en": "another process"},
    "modem.detect.at_port": {"id": "port AT (model {model})", "en": "AT port (model {model})"},
    "modem.detect.answers": {"id": "menjawab AT", "en": "answers AT"},
    "modem.detect.no_answer": {"id": "tidak menjawab AT", "en": "no answer to AT"},
    "modem.detect.failed": {"id": "{error}", "en": "{error}"},
    "modem.detect.configure": {
        "id": 'atur: [modem] port = "{name}"  ({device}, {model})',
        "en": 'configure: [modem] port = "{name}"  ({device}, {model})',
    },
    "modem.detect.modemmanager": {
        "id": "ModemManager memakai sebuah port: tambahkan aturan udev dengan "
        'ENV{{ID_MM_PORT_IGNORE}}="1" untuk port itu (ID_MM_DEVICE_IGNORE untuk seluruh '
        "modem), atau `systemctl stop ModemManager`.",
        "en": "ModemManager holds a port: add a udev rule with "
        'ENV{{ID_MM_PORT_IGNORE}}="1" for it (ID_MM_DEVICE_IGNORE for the whole modem), '
        "or `systemctl stop ModemManager`.",
    },
    "modem.detect.no_model": {
        "id": "tidak ada port yang menjawab AT+CGMM dengan nama model",
        "en": "no port answered AT+CGMM with a model",
    },
}
