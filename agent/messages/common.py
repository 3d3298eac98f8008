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
    "common.disk.full_before_code": {
        "id": "Disk penuh: {path} punya sisa {free}, kit perlu {needed}. Kode pendaftaran "
        "belum dipakai: kosongkan ruang (`sudo journalctl --vacuum-size=50M`, hapus berkas "
        "besar yang tidak diperlukan), lalu ulangi dengan kode yang sama.",
        "en": "The disk is full: {path} has {free} free, the kit needs {needed}. The "
        "enrollment code was not used: free some space (`sudo journalctl "
        "--vacuum-size=50M`, delete large files that are not needed), then try again with "
        "the same code.",
    },
    "common.disk.unwritable_before_code": {
        "id": "Tidak bisa menulis {path}: {error}. Kode pendaftaran belum dipakai.",
        "en": "Cannot write {path}: {error}. The enrollment code was not used.",
    },
    "common.file.missing": {"id": "berkasnya tidak ada", "en": "the file does not exist"},
    "common.file.not_a_file": {"id": "itu bukan berkas", "en": "it is not a file"},
    "common.file.not_readable": {
        "id": "berkasnya tidak bisa dibaca (izin; coba dengan sudo)",
        "en": "the file cannot be read (permissions; try with sudo)",
    },
    "common.file.empty": {"id": "berkasnya kosong", "en": "the file is empty"},
    "common.file.not_pem": {
        "id": "berkasnya bukan sertifikat PEM (ca.crt deployment)",
        "en": "the file is not a PEM certificate (the deployment's ca.crt)",
    },
    "common.config.file_bad": {
        "id": "{config}: [collector] {key} = {path}: {problem}",
        "en": "{config}: [collector] {key} = {path}: {problem}",
    },
    # Technical failure text in words (agent.errwords; Indonesian leaves the raw text out).
    "common.err.tls": {
        "id": "sambungan aman (TLS) gagal: sertifikat kolektor tidak cocok dengan ca.crt",
        "en": "the secure connection (TLS) failed",
    },
    "common.err.ca_file": {
        "id": "berkas CA kolektor (ca.crt) tidak bisa dibaca",
        "en": "the collector's CA file cannot be read",
    },
    "common.err.credential": {
        "id": "kredensial kit ditolak",
        "en": "the kit's credential was refused",
    },
    "common.err.disk_full": {"id": "disk penuh", "en": "the disk is full"},
    "common.err.read_only": {"id": "disk hanya bisa dibaca", "en": "the disk is read-only"},
    "common.err.permission": {
        "id": "tidak ada izin (coba dengan sudo)",
        "en": "permission denied (try with sudo)",
    },
    "common.err.refused": {
        "id": "sambungan ditolak (tidak ada layanan di alamat dan port itu)",
        "en": "connection refused (nothing listens at that address and port)",
    },
    "common.err.reset": {
        "id": "sambungan terputus di tengah jalan",
        "en": "the connection was cut",
    },
    "common.err.no_route": {
        "id": "alamat itu tidak terjangkau dari kit (tidak ada rute: periksa sinyal dan "
        "paket data)",
        "en": "that address cannot be reached from the kit (no route: check the signal "
        "and data package)",
    },
    "common.err.dns": {
        "id": "nama tidak ditemukan di DNS",
        "en": "the name was not found in DNS",
    },
    "common.err.timeout": {
        "id": "tidak ada jawaban dalam batas waktu",
        "en": "no answer in time",
    },
    "common.err.busy": {
        "id": "sedang dipakai program lain",
        "en": "in use by another program",
    },
    "common.err.missing": {"id": "tidak ada (tidak ditemukan)", "en": "not found"},
    "common.err.io": {
        "id": "kesalahan baca/tulis perangkat (kabel, daya, atau kartu SD)",
        "en": "device read/write error (cable, power or SD card)",
    },
    "common.err.unavailable": {
        "id": "kolektor tidak bisa dihubungi",
        "en": "the collector cannot be reached",
    },
    "common.err.budget": {
        "id": "dilewati: kuota data harian habis",
        "en": "skipped: the daily data budget is spent",
    },
    "common.err.detail": {
        "id": "[rincian teknis: {detail}]",
        "en": "{detail}",
    },
    "common.err.other": {
        "id": "gangguan teknis [rincian teknis: {detail}]",
        "en": "{detail}",
    },
    "common.yes": {"id": "ya", "en": "yes"},
    "common.no": {"id": "tidak", "en": "no"},
    "common.unknown": {"id": "tidak diketahui", "en": "unknown"},
}
