"""Messages of ``pantau-agent survey`` (walking readings with GNSS positions)."""

from typing import Final

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "survey.error.modem": {
        "id": "Modem di {port} tidak bisa dibuka: {error}",
        "en": "The modem at {port} cannot be opened: {error}",
    },
    "survey.error.reading": {
        "id": "pembacaan gagal: {error}",
        "en": "reading failed: {error}",
    },
    "survey.error.disk_full": {
        "id": "Disk penuh: {path} tidak bisa menampung pembacaan lagi (sisa {free}). "
        "Survei dihentikan; berkas itu tetap utuh dan menyimpan {kept} pembacaan yang "
        "tertulis sebelumnya. Kosongkan ruang, atau simpan di tempat lain (--out FOLDER).",
        "en": "The disk is full: {path} cannot take another reading ({free} free). The "
        "survey stopped; the file is still valid and keeps the {kept} readings written "
        "before. Free some space, or write elsewhere (--out DIR).",
    },
    "survey.error.write": {
        "id": "Tidak bisa menulis {path}: {error}. Survei dihentikan; berkas itu tetap utuh "
        "dan menyimpan {kept} pembacaan yang tertulis sebelumnya.",
        "en": "Cannot write {path}: {error}. The survey stopped; the file is still valid "
        "and keeps the {kept} readings written before.",
    },
    "survey.error.spool": {
        "id": "Spool kit tidak bisa menampung pembacaan: {error}. Survei dihentikan.",
        "en": "The kit's spool cannot take the readings: {error}. The survey stopped.",
    },
    "survey.no_gnss": {
        "id": "Dialek modem {dialect} tidak punya perintah GNSS: pembacaan tanpa posisi",
        "en": "The modem's dialect {dialect} has no GNSS commands: readings without positions",
    },
    "survey.started": {
        "id": "Survei dimulai (Ctrl-C untuk berhenti). GeoJSON: {geojson}  CSV: {csv}",
        "en": "Survey started (Ctrl-C to stop). GeoJSON: {geojson}  CSV: {csv}",
    },
    "survey.kit": {
        "id": "Semua modem kit ini dibaca bergantian: {modems}",
        "en": "Every modem of this kit is read in turn: {modems}",
    },
    "survey.kit.modem": {"id": "modem", "en": "modem"},
    "survey.header": {
        "id": "waktu         lintang       bujur  RAT      operator       RSRP   RSRQ   SINR  mutu",
        "en": "time         latitude   longitude  RAT      operator       RSRP   RSRQ   "
        "SINR  grade",
    },
    "survey.summary.readings": {
        "id": "{n} pembacaan, {fix} dengan posisi GNSS",
        "en": "{n} readings, {fix} with a GNSS position",
        "en_one": "{n} reading, {fix} with a GNSS position",
    },
    "survey.summary.without_fix": {
        "id": "{n} pembacaan tanpa posisi GNSS: ada di CSV dengan koordinat kosong, tidak "
        "di GeoJSON",
        "en": "{n} readings without a GNSS fix: in the CSV with empty coordinates, not in "
        "the GeoJSON",
        "en_one": "{n} reading without a GNSS fix: in the CSV with empty coordinates, not "
        "in the GeoJSON",
    },
    "survey.summary.geojson": {"id": "GeoJSON: {path}", "en": "GeoJSON: {path}"},
    "survey.summary.csv": {"id": "CSV: {path}", "en": "CSV: {path}"},
    "survey.summary.queued": {
        "id": "{n} pembacaan masuk antrean kirim kit; agen yang berjalan akan mengirimnya "
        "ke kolektor",
        "en": "{n} readings queued in the kit's spool; the running agent delivers them "
        "to the collector",
        "en_one": "{n} reading queued in the kit's spool; the running agent delivers it "
        "to the collector",
    },
    "survey.summary.no_best": {
        "id": "Tidak ada pembacaan dengan posisi dan layanan: titik terbaik tidak diketahui",
        "en": "No reading with both a position and service: no best spot",
    },
    "survey.summary.best": {
        "id": "Titik terbaik: {lat}, {lon} (RSRP {rsrp} dBm, SINR {sinr} dB, {grade})",
        "en": "Best spot: {lat}, {lon} (RSRP {rsrp} dBm, SINR {sinr} dB, {grade})",
    },
    "survey.summary.best_where": {
        "id": "  {distance} m dari titik awal, arah {bearing}° ({compass})",
        "en": "  {distance} m from the start, bearing {bearing}° ({compass})",
    },
    "survey.summary.errors": {
        "id": "{n} pembacaan gagal",
        "en": "{n} readings failed",
        "en_one": "{n} reading failed",
    },
}
