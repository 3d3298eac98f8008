"""Messages of the serving cell, its neighbours and carriers (``check``, ``survey``,
``modem read``)."""

from typing import Final

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "cells.label.cell": {"id": "Sel", "en": "Cell"},
    "cells.label.nr": {"id": "Sel 5G", "en": "5G cell"},
    "cells.label.neighbours": {"id": "Sel tetangga", "en": "Neighbours"},
    "cells.label.carriers": {"id": "Gabungan kanal", "en": "Carriers"},
    "cells.neighbours.some": {
        "id": "{n} terdengar; terkuat: {best}",
        "en": "{n} heard; strongest: {best}",
    },
    "cells.neighbours.none": {
        "id": "tidak ada yang terdengar",
        "en": "none heard",
    },
    "cells.neighbours.not_reported": {
        "id": "tidak dilaporkan modem ini (hanya sel yang melayani)",
        "en": "not reported by this modem (serving cell only)",
    },
    "cells.relation.intra_frequency": {"id": "frekuensi sama", "en": "same frequency"},
    "cells.relation.inter_frequency": {"id": "frekuensi lain", "en": "other frequency"},
    "cells.relation.inter_rat": {"id": "teknologi lain", "en": "other technology"},
    "cells.carrier.primary": {"id": "utama", "en": "primary"},
    "cells.survey": {
        "id": "{cell}, tetangga {n}",
        "en": "{cell}, neighbours {n}",
    },
}
