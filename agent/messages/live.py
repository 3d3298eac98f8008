"""Messages of the live signal view (``check`` and ``survey`` on a terminal)."""

from typing import Final

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "live.watch": {
        "id": "Memantau sinyal selama {seconds}: arahkan antena dan lihat grafiknya "
        "(kanan = terbaru, balok tinggi = sinyal kuat)",
        "en": "Watching the signal for {seconds}: point the antenna and watch the graph "
        "(right = newest, tall blocks = strong signal)",
    },
}
