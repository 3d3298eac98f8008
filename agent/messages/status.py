"""Messages of ``pantau-agent status`` (the running agent's state)."""

from typing import Final

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "status.title": {"id": "Agen Pantau: {state}", "en": "Pantau agent: {state}"},
    "status.state.running": {"id": "BERJALAN", "en": "RUNNING"},
    "status.state.stale": {"id": "MACET", "en": "STALE"},
    "status.state.not_running": {"id": "TIDAK BERJALAN", "en": "NOT RUNNING"},
    "status.why.running": {
        "id": "Status diperbarui {age} yang lalu ({path})",
        "en": "Status updated {age} ago ({path})",
    },
    "status.why.no_file": {
        "id": "Tidak ada berkas status {path}: agen belum pernah berjalan dengan direktori "
        "data ini (mulai dengan `systemctl start pantau-agent`)",
        "en": "No status file {path}: the agent has not run with this data directory "
        "(start it with `systemctl start pantau-agent`)",
    },
    "status.why.unreadable": {
        "id": "Berkas status {path} tidak bisa dibaca",
        "en": "The status file {path} cannot be read",
    },
    "status.why.stopped": {
        "id": "Agen berhenti dengan normal {age} yang lalu",
        "en": "The agent stopped normally {age} ago",
    },
    "status.why.pid_gone": {
        "id": "Proses agen sudah tidak ada (terakhir menulis status {age} yang lalu): "
        "lihat `journalctl -u pantau-agent`",
        "en": "The agent's process is gone (it last wrote its status {age} ago): see "
        "`journalctl -u pantau-agent`",
    },
    "status.why.old": {
        "id": "Proses agen ada, tetapi statusnya tidak diperbarui selama {age}: agen "
        "mungkin macet (`systemctl restart pantau-agent`)",
        "en": "The agent's process exists but has not updated its status for {age}: it "
        "may be stuck (`systemctl restart pantau-agent`)",
    },
    "status.label.agent": {"id": "Agen", "en": "Agent"},
    "status.label.started": {"id": "Mulai", "en": "Started"},
    "status.label.reading": {"id": "Pembacaan modem", "en": "Modem reading"},
    "status.label.uplink": {"id": "Kolektor", "en": "Collector"},
    "status.label.ack": {"id": "Diterima kolektor", "en": "Acknowledged"},
    "status.label.spool": {"id": "Antrean kirim", "en": "Send queue"},
    "status.label.data_today": {"id": "Data hari ini", "en": "Data today"},
    "status.label.errors": {"id": "Galat terakhir", "en": "Last errors"},
    "status.agent": {
        "id": "{agent}, TPS {site}, versi {version}, pid {pid}",
        "en": "{agent}, TPS {site}, version {version}, pid {pid}",
    },
    "status.uptime": {"id": "{time} (berjalan {uptime})", "en": "{time} (up {uptime})"},
    "status.ago": {"id": "{time} ({ago} yang lalu)", "en": "{time} ({ago} ago)"},
    "status.never": {"id": "belum ada", "en": "none yet"},
    "status.uplink.connected": {"id": "terhubung", "en": "connected"},
    "status.uplink.down": {"id": "tidak terhubung", "en": "not connected"},
    "status.ack": {"id": "sampai data #{seq}, {when}", "en": "through record #{seq}, {when}"},
    "status.spool": {
        "id": "{n} catatan data ({size})",
        "en": "{n} records ({size})",
        "en_one": "{n} record ({size})",
    },
    "status.spool_disk_full": {
        "id": "Disk data penuh: data tetap dikirim dari ruang cadangan; bila perlu, data "
        "lama yang paling tidak penting dibuang lebih dulu dan kolektor diberi tahu.",
        "en": "Data disk full: records are still sent from the reserved room; if need be, the "
        "oldest records of the least important kinds go first and the collector is told.",
    },
    "status.data": {"id": "{used} dari {budget}", "en": "{used} of {budget}"},
}
