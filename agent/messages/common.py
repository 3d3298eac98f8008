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
    "common.yes": {"id": "ya", "en": "yes"},
    "common.no": {"id": "tidak", "en": "no"},
    "common.unknown": {"id": "tidak diketahui", "en": "unknown"},
}
