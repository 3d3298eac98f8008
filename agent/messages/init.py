"""Messages of ``pantau-agent init`` (setting up a kit)."""

from typing import Final

MESSAGES: Final[dict[str, dict[str, str]]] = {
    # -- start, end, abort --------------------------------------------------------------
    "init.title": {
        "id": "Pantau: menyiapkan kit pemantau TPS ini.",
        "en": "Pantau: setting up this TPS probe kit.",
    },
    "init.hint.abort": {
        "id": "Tekan Enter untuk memakai nilai dalam [kurung]. Ctrl-C untuk berhenti "
        "(tidak ada berkas yang setengah tertulis).",
        "en": "Press Enter to take the value in [brackets]. Ctrl-C stops "
        "(no file is left half-written).",
    },
    "init.aborted": {
        "id": "Dihentikan. Berkas yang sudah ada tidak diubah setengah jalan; "
        "jalankan `pantau-agent init` lagi untuk melanjutkan.",
        "en": "Stopped. No file was left half-changed; run `pantau-agent init` again to carry on.",
    },
    "init.done": {
        "id": "Selesai: kit siap, konfigurasi di {config}.",
        "en": "Done: the kit is set up, configuration in {config}.",
    },
    "init.next.check": {
        "id": "Langkah berikutnya: `{command}` untuk memeriksa kesiapan "
        "(SIAP / KURANG BAIK / TIDAK SIAP).",
        "en": "Next: `{command}` to check that the kit is ready (READY / DEGRADED / NOT READY).",
    },
    "init.missing": {
        "id": "Tidak ada nilai untuk {flag}: berikan {flag} (mode tanpa pertanyaan "
        "tidak bisa bertanya).",
        "en": "No value for {flag}: pass {flag} (an unattended run cannot ask).",
    },
    # -- prompts ------------------------------------------------------------------------
    "init.prompt.yes_no_default_yes": {"id": "[Y/t]", "en": "[Y/n]"},
    "init.prompt.yes_no_default_no": {"id": "[y/T]", "en": "[y/N]"},
    "init.prompt.yes_no_again": {
        "id": "Jawab y (ya) atau t (tidak).",
        "en": "Answer y (yes) or n (no).",
    },
    # -- an existing setup --------------------------------------------------------------
    "init.existing.found": {
        "id": "Kit ini sudah punya konfigurasi: {path}",
        "en": "This kit already has a configuration: {path}",
    },
    "init.existing.summary": {
        "id": "  TPS {site}, kolektor {collector}, modem {modem}",
        "en": "  TPS {site}, collector {collector}, modem {modem}",
    },
    "init.existing.invalid": {
        "id": "Konfigurasi {path} yang ada tidak valid ({error}); akan diganti "
        "(salinannya disimpan sebagai .bak).",
        "en": "The existing configuration {path} is not valid ({error}); it will be "
        "replaced (a copy is kept as .bak).",
    },
    "init.existing.credential": {
        "id": "Kredensial kit sudah ada: {path}",
        "en": "The kit already has a credential: {path}",
    },
    # -- modem --------------------------------------------------------------------------
    "init.modem.scanning": {
        "id": "Langkah 1: mencari modem (port serial, perintah AT)...",
        "en": "Step 1: looking for the modem (serial ports, AT commands)...",
    },
    "init.modem.item": {
        "id": "  {n}) {port}: {maker} {model}, IMEI {imei}",
        "en": "  {n}) {port}: {maker} {model}, IMEI {imei}",
    },
    "init.modem.item_usb": {
        "id": "     identitas USB {usb} (tetap benar walau port berpindah)",
        "en": "     USB identity {usb} (stays right when the port moves)",
    },
    "init.modem.option_none": {
        "id": "  0) tanpa modem (hanya uji jaringan)",
        "en": "  0) no modem (network probes only)",
    },
    "init.modem.choose": {"id": "Pilih modem (nomor)", "en": "Choose the modem (number)"},
    "init.modem.bad_choice": {
        "id": "Pilihan tidak ada: ketik nomor 0 sampai {n}.",
        "en": "No such choice: type a number from 0 to {n}.",
    },
    "init.modem.none_found": {
        "id": "Tidak ada modem yang menjawab AT. Periksa: modem terpasang dan menyala, "
        "kabel USB, SIM terpasang.",
        "en": "No modem answered AT. Check that the modem is plugged in and powered, "
        "the USB cable, the SIM.",
    },
    "init.modem.enter": {
        "id": "Ketik port modem (mis. /dev/ttyUSB2), Enter untuk mencari lagi, atau 0 tanpa modem",
        "en": "Type the modem's port (e.g. /dev/ttyUSB2), Enter to look again, or 0 for no modem",
    },
    "init.modem.no_answer": {
        "id": "Port {port} tidak menjawab sebagai modem (AT dan AT+CGMM).",
        "en": "Port {port} does not answer like a modem (AT and AT+CGMM).",
    },
    "init.modem.use_anyway": {
        "id": "Tetap pakai port ini? (modem mungkin sedang menyala ulang)",
        "en": "Use this port anyway? (the modem may be restarting)",
    },
    "init.modem.held": {
        "id": "  {port} dipakai oleh {holder}: tidak diperiksa",
        "en": "  {port} is held by {holder}: not probed",
    },
    "init.modem.mm_hint": {
        "id": "ModemManager memegang port modem. Pasang layanan (--install-service): "
        "aturan udev-nya membuat ModemManager melepas modem ini. Atau sementara: "
        "`sudo systemctl stop ModemManager`.",
        "en": "ModemManager holds a modem port. Install the service (--install-service): "
        "its udev rule makes ModemManager leave this modem alone. Or for now: "
        "`sudo systemctl stop ModemManager`.",
    },
    "init.modem.none_unattended": {
        "id": "Tidak ada modem yang menjawab AT. Pasang modem, atau berikan "
        "--modem PORT (mis. --modem /dev/ttyUSB2), atau --modem none untuk kit tanpa modem.",
        "en": "No modem answered AT. Plug the modem in, or pass --modem PORT "
        "(e.g. --modem /dev/ttyUSB2), or --modem none for a kit without a modem.",
    },
    "init.modem.several": {
        "id": "Ada {n} modem: semuanya dipakai, satu per operator ([[modems]]). Untuk satu "
        "modem saja, jalankan init dengan --modem PORT.",
        "en": "{n} modems answered: all are used, a modem per operator ([[modems]]). For "
        "one modem only, run init with --modem PORT.",
    },
    "init.modem.several_item": {
        "id": "  {name}: {operator}, port {port}, antarmuka {interface}",
        "en": "  {name}: {operator}, port {port}, interface {interface}",
    },
    "init.modem.use_all": {
        "id": "Pakai ke-{n} modem, satu per operator?",
        "en": "Use all {n} modems, a modem per operator?",
    },
    "init.modem.chosen": {"id": "Modem: {port}", "en": "Modem: {port}"},
    "init.modem.skipped": {
        "id": "Tanpa modem: kit hanya menjalankan uji jaringan.",
        "en": "No modem: the kit runs network probes only.",
    },
    # -- TPS code -----------------------------------------------------------------------
    "init.site.ask": {
        "id": "Langkah 2: kode TPS (13 digit, mis. 3171011001005)",
        "en": "Step 2: the TPS code (13 digits, e.g. 3171011001005)",
    },
    "init.site.bad_length": {
        "id": "Kode TPS {code} salah: harus 13 angka (10 angka kode desa/kelurahan + "
        "3 angka nomor TPS), ada {digits}.",
        "en": "TPS code {code} is wrong: it must be 13 digits (10-digit desa/kelurahan "
        "code + 3-digit TPS number), got {digits}.",
    },
    "init.site.bad_char": {
        "id": "Kode TPS {code} salah: karakter ke-{position} adalah '{char}', bukan "
        "angka{hint}. Kode TPS hanya berisi 13 angka.",
        "en": "TPS code {code} is wrong: character {position} is '{char}', not a "
        "digit{hint}. A TPS code is 13 digits only.",
    },
    "init.site.lookalike": {
        "id": " (huruf {char}? ketik angka {digit})",
        "en": " (the letter {char}? type the digit {digit})",
    },
    "init.site.bad_province": {
        "id": "Kode TPS {code} salah: awalan {prefix} bukan kode provinsi.",
        "en": "TPS code {code} is wrong: it starts with {prefix}, which is not a province code.",
    },
    "init.site.tps_zero": {
        "id": "Kode TPS {code} salah: nomor TPS 000; nomor TPS mulai dari 001.",
        "en": "TPS code {code} is wrong: TPS number 000; TPS numbers start at 001.",
    },
    "init.site.invalid": {
        "id": "Kode TPS {code} salah: {reason}",
        "en": "TPS code {code} is wrong: {reason}",
    },
    "init.site.ok": {
        "id": "TPS {code}: provinsi {province}, kab/kota {kabkota}, kecamatan {kecamatan}, "
        "desa {desa}, TPS {tps}",
        "en": "TPS {code}: province {province}, kab/kota {kabkota}, kecamatan {kecamatan}, "
        "desa {desa}, TPS {tps}",
    },
    # -- collector ----------------------------------------------------------------------
    "init.collector.ask": {
        "id": "Langkah 3: alamat kolektor (HOST:PORT, mis. kolektor.example:7600)",
        "en": "Step 3: the collector's address (HOST:PORT, e.g. collector.example:7600)",
    },
    "init.collector.ask_again": {
        "id": "Alamat kolektor (Enter untuk mencoba lagi)",
        "en": "The collector's address (Enter to try again)",
    },
    "init.collector.default_port": {
        "id": "Tanpa nomor port: dipakai {address}",
        "en": "No port given: using {address}",
    },
    "init.collector.bad_address": {
        "id": "Alamat kolektor {address} salah: tulis HOST:PORT, mis. kolektor.example:7600.",
        "en": "Collector address {address} is wrong: write HOST:PORT, e.g. collector.example:7600.",
    },
    "init.collector.checking": {
        "id": "Menghubungi kolektor {address}...",
        "en": "Contacting the collector {address}...",
    },
    "init.collector.reachable": {
        "id": "Kolektor {address} bisa dihubungi.",
        "en": "The collector {address} is reachable.",
    },
    "init.collector.unreachable": {
        "id": "Kolektor {address} tidak bisa dihubungi ({reason}). Periksa alamatnya, "
        "sinyal/koneksi internet kit, dan pastikan kolektor menyala.",
        "en": "The collector {address} cannot be reached ({reason}). Check the address, "
        "the kit's signal and internet connection, and that the collector is running.",
    },
    "init.upload.ask": {
        "id": "Izinkan `pantau-agent check` menguji kecepatan unduh dan unggah ke kolektor "
        "(paling banyak 4 MB sekali periksa, dihitung dalam kuota data harian)?",
        "en": "Let `pantau-agent check` test the download and upload speed to the collector "
        "(at most 4 MB a check, counted in the daily data budget)?",
    },
    "init.upload.on": {
        "id": "Uji kecepatan: aktif ([check] upload_test = true).",
        "en": "Speed test: on ([check] upload_test = true).",
    },
    "init.upload.off": {
        "id": "Uji kecepatan: tidak aktif ([check] upload_test = false); `check` akan "
        "menyebut kecepatan unggah tidak diukur.",
        "en": "Speed test: off ([check] upload_test = false); `check` will say the upload "
        "speed is not measured.",
    },
    # -- TLS ----------------------------------------------------------------------------
    "init.tls.ask_ca": {
        "id": "Berkas sertifikat CA kolektor (ca.crt dari tim pusat)",
        "en": "The collector's CA certificate file (ca.crt from the operations team)",
    },
    "init.tls.missing_ca": {
        "id": "Kolektor {address} di luar loopback butuh TLS: berikan --ca-file ca.crt "
        "(atau --insecure, hanya untuk uji coba).",
        "en": "A collector outside loopback ({address}) needs TLS: pass --ca-file ca.crt "
        "(or --insecure, for testing only).",
    },
    "init.tls.bad_ca": {
        "id": "Sertifikat CA {path} tidak bisa dipakai: {reason}",
        "en": "The CA certificate {path} cannot be used: {reason}",
    },
    "init.tls.insecure_warning": {
        "id": "PERINGATAN: tanpa TLS, kredensial dan data dikirim tanpa enkripsi "
        "(hanya untuk uji coba).",
        "en": "WARNING: without TLS the credential and the data travel unencrypted (testing only).",
    },
    # -- enrollment ---------------------------------------------------------------------
    "init.code.ask": {
        "id": "Langkah 4: kode pendaftaran sekali pakai (mis. 7KQ2-M9XD-4H)",
        "en": "Step 4: the one-time enrollment code (e.g. 7KQ2-M9XD-4H)",
    },
    "init.code.malformed": {
        "id": "Kode pendaftaran {code} salah bentuk: 10 huruf dan angka, mis. 7KQ2-M9XD-4H.",
        "en": "Enrollment code {code} is malformed: 10 letters and digits, e.g. 7KQ2-M9XD-4H.",
    },
    "init.enroll.sending": {
        "id": "Mendaftarkan kit ke {address}...",
        "en": "Enrolling the kit with {address}...",
    },
    "init.enroll.ok": {
        "id": "Terdaftar: kit {agent_id} untuk TPS {site}.",
        "en": "Enrolled: kit {agent_id} for TPS {site}.",
    },
    "init.enroll.other_site": {
        "id": "PERHATIAN: kode ini untuk TPS {site}, bukan {typed}. Kit dipasang untuk "
        "TPS {site}; jika salah, minta kode baru untuk TPS yang benar.",
        "en": "NOTE: this code is for TPS {site}, not {typed}. The kit is set up for "
        "TPS {site}; if that is wrong, ask for a new code for the right TPS.",
    },
    "init.enroll.rejected": {
        "id": "Kode pendaftaran {code} ditolak: tidak dikenal, sudah dipakai, atau "
        "kedaluwarsa. Minta kode baru ke tim pusat (pantau-collector enroll --site KODE_TPS).",
        "en": "Enrollment code {code} was refused: unknown, already used or expired. "
        "Ask the operations team for a new one (pantau-collector enroll --site TPSCODE).",
    },
    "init.enroll.no_answer": {
        "id": "Kolektor {address} tidak menjawab dalam {seconds} detik ({reason}). "
        "Periksa koneksi kit dan alamat kolektor, lalu coba lagi.",
        "en": "The collector {address} did not answer within {seconds} s ({reason}). "
        "Check the kit's connection and the collector's address, then try again.",
    },
    "init.enroll.channel": {
        "id": "Tidak bisa membuka koneksi ke kolektor: {reason}",
        "en": "Cannot open a connection to the collector: {reason}",
    },
    "init.enroll.failed": {
        "id": "Pendaftaran gagal: {reason}",
        "en": "Enrollment failed: {reason}",
    },
    "init.credential.accepted": {
        "id": "Kolektor {address} menerima kredensial kit {agent_id}.",
        "en": "The collector {address} accepts the credential of kit {agent_id}.",
    },
    "init.credential.refused": {
        "id": "Kolektor {address} menolak kredensial kit {agent_id} (dicabut atau tidak "
        "dikenal): kit tidak bisa mengirim data. Minta kode pendaftaran baru ke operator "
        "kolektor, lalu jalankan `init` lagi dengan --re-enroll --code KODE.",
        "en": "The collector {address} refuses the credential of kit {agent_id} (revoked "
        "or unknown): the kit cannot send anything. Ask the collector's operators for a "
        "new enrollment code, then run `init` again with --re-enroll --code CODE.",
    },
    "init.collector.no_hello": {
        "id": "Kolektor {address} belum bisa memastikan kredensial kit (tidak ada jawaban); "
        "jalankan `pantau-agent check` setelah kit tersambung ke internet.",
        "en": "The collector {address} could not confirm the kit's credential (no answer); "
        "run `pantau-agent check` once the kit is online.",
    },
    "init.credential.kept": {
        "id": "Kredensial yang ada tetap dipakai (kit {agent_id}); tidak perlu kode baru. "
        "Pakai --re-enroll untuk mendaftar ulang.",
        "en": "Keeping the existing credential (kit {agent_id}); no new code needed. "
        "Use --re-enroll to enroll again.",
    },
    "init.credential.code_unused": {
        "id": "Kode pendaftaran yang diberikan tidak dipakai (masih berlaku).",
        "en": "The enrollment code given was not used (it is still valid).",
    },
    "init.credential.site_changed": {
        "id": "Kode TPS berubah ({old} -> {new}): kit harus didaftarkan ulang dengan "
        "kode untuk TPS {new}.",
        "en": "The TPS code changed ({old} -> {new}): the kit must be enrolled again "
        "with a code for TPS {new}.",
    },
    # -- files --------------------------------------------------------------------------
    "init.file.written": {"id": "Ditulis: {path}", "en": "Written: {path}"},
    "init.file.unchanged": {
        "id": "Tidak berubah: {path}",
        "en": "Unchanged: {path}",
    },
    "init.file.backup": {
        "id": "Konfigurasi lama disimpan sebagai {path}",
        "en": "The previous configuration is kept as {path}",
    },
    "init.file.ca_copied": {
        "id": "Sertifikat CA {source} disalin ke {path}",
        "en": "CA certificate {source} copied to {path}",
    },
    "init.file.config_invalid": {
        "id": "Konfigurasi yang akan ditulis tidak valid ({error}); tidak ada yang diubah.",
        "en": "The configuration to write is not valid ({error}); nothing was changed.",
    },
    "init.file.cannot_write": {
        "id": "Tidak bisa menulis {path}: {reason}. Jalankan dengan sudo, atau pilih "
        "--config / --data-dir lain.",
        "en": "Cannot write {path}: {reason}. Run with sudo, or choose another "
        "--config / --data-dir.",
    },
    "init.disk.full": {
        "id": "Disk penuh: {path} punya sisa {free}, kit perlu {needed}. Kode pendaftaran "
        "belum dipakai. Kosongkan ruang (`df -h {checked}` menunjukkan sisanya; "
        "`sudo journalctl --vacuum-size=50M`, hapus berkas besar yang tidak diperlukan), "
        "lalu jalankan `init` lagi dengan kode yang sama.",
        "en": "The disk is full: {path} has {free} free, the kit needs {needed}. The "
        "enrollment code was not used. Free some space (`df -h {checked}` shows what is "
        "left; `sudo journalctl --vacuum-size=50M`, delete large files that are not "
        "needed), then run `init` again with the same code.",
    },
    "init.disk.full_enrolled": {
        "id": "Disk penuh: {path} punya sisa {free}, kit perlu {needed}. Kosongkan ruang "
        "(`df -h {checked}` menunjukkan sisanya; `sudo journalctl --vacuum-size=50M`, hapus "
        "berkas besar yang tidak diperlukan), lalu jalankan `init` lagi.",
        "en": "The disk is full: {path} has {free} free, the kit needs {needed}. Free some "
        "space (`df -h {checked}` shows what is left; `sudo journalctl --vacuum-size=50M`, "
        "delete large files that are not needed), then run `init` again.",
    },
    "init.disk.read_only": {
        "id": "Disk untuk {path} hanya bisa dibaca ({error}). Kode pendaftaran belum "
        "dipakai. Kartu SD atau disk mungkin rusak (`dmesg`), atau pilih --config / "
        "--data-dir lain.",
        "en": "The disk for {path} is read-only ({error}). The enrollment code was not "
        "used. The SD card or disk may be failing (`dmesg`), or choose another --config / "
        "--data-dir.",
    },
    "init.disk.failed": {
        "id": "Tidak bisa menulis {path}: {error}. Kode pendaftaran belum dipakai. "
        "Periksa disk (`dmesg`), atau pilih --config / --data-dir lain.",
        "en": "Cannot write {path}: {error}. The enrollment code was not used. Check the "
        "disk (`dmesg`), or choose another --config / --data-dir.",
    },
    "init.disk.full_late": {
        "id": "Disk penuh saat menulis {path}: sisa {free}. Kosongkan ruang "
        "(`sudo journalctl --vacuum-size=50M`, hapus berkas besar yang tidak diperlukan), "
        "lalu jalankan `init` lagi.",
        "en": "The disk filled up while writing {path}: {free} free. Free some space "
        "(`sudo journalctl --vacuum-size=50M`, delete large files that are not needed), "
        "then run `init` again.",
    },
    # -- the service --------------------------------------------------------------------
    "init.service.ask": {
        "id": "Langkah 5: pasang sebagai layanan yang jalan sendiri saat kit menyala?",
        "en": "Step 5: install as a service that starts by itself when the kit boots?",
    },
    "init.service.cannot": {
        "id": "Layanan tidak dipasang: {reason}.",
        "en": "The service was not installed: {reason}.",
    },
    "init.service.not_root": {
        "id": "perlu hak root (sudo)",
        "en": "it needs root (sudo)",
    },
    "init.service.no_systemd": {
        "id": "sistem ini tidak berjalan dengan systemd",
        "en": "this system does not run systemd",
    },
    "init.service.exe_in_home": {
        "id": "PERHATIAN: {exe} ada di folder rumah; layanan berjalan sebagai pengguna "
        "pantau yang mungkin tidak bisa membacanya. Lebih baik pasang di /opt/pantau.",
        "en": "NOTE: {exe} is inside a home directory; the service runs as the user "
        "pantau, which may not be able to read it. Install under /opt/pantau instead.",
    },
    "init.service.not_installed": {
        "id": "Layanan TIDAK dipasang walau --install-service diminta: kit tidak akan "
        "berjalan sendiri setelah dinyalakan ulang. Konfigurasi sudah ditulis; jalankan "
        "perintah di atas di kit dengan systemd, sebagai root.",
        "en": "The service was NOT installed although --install-service was asked for: "
        "the kit will not run by itself after a reboot. The configuration is written; run "
        "the command above on the kit (with systemd), as root.",
    },
    "init.service.not_running": {
        "id": "Layanan pantau-agent dipasang tetapi tidak berjalan (systemd: {state}). "
        "Lihat sebabnya: `journalctl -u pantau-agent -n 30`.",
        "en": "The pantau-agent service is installed but not running (systemd: {state}). "
        "See why: `journalctl -u pantau-agent -n 30`.",
    },
    "init.service.ran": {"id": "Dijalankan: {command}", "en": "Ran: {command}"},
    "init.service.would_run": {
        "id": "Perintah yang perlu dijalankan: {command}",
        "en": "Command to run: {command}",
    },
    "init.service.command_failed": {
        "id": "Perintah gagal: {command}: {output}",
        "en": "Command failed: {command}: {output}",
    },
    "init.service.enabled": {
        "id": "Layanan pantau-agent dipasang dan akan jalan saat kit menyala. "
        "Mulai sekarang: `sudo systemctl start pantau-agent`.",
        "en": "The pantau-agent service is installed and starts when the kit boots. "
        "Start it now: `sudo systemctl start pantau-agent`.",
    },
    "init.service.started": {
        "id": "Layanan pantau-agent berjalan dan akan jalan lagi setiap kit menyala. "
        "Lihat: `systemctl status pantau-agent`.",
        "en": "The pantau-agent service is running and starts again whenever the kit "
        "boots. See: `systemctl status pantau-agent`.",
    },
    "init.service.manual": {
        "id": "Untuk memasang layanan (jalan sendiri saat kit menyala), jalankan sebagai root:",
        "en": "To install the service (starts by itself when the kit boots), run as root:",
    },
    "init.service.manual_run": {
        "id": "Atau jalankan agen langsung (berhenti dengan Ctrl-C):",
        "en": "Or run the agent directly (stop it with Ctrl-C):",
    },
    # -- a kit with a modem per operator -------------------------------------------------
    "init.modem.kept_several": {
        "id": "Kit ini punya {n} modem (satu per operator, [[modems]]): semuanya tetap "
        "dipakai. Untuk beralih ke satu modem, jalankan init dengan --modem.",
        "en": "This kit has {n} modems (a modem per operator, [[modems]]): all are kept. "
        "To go back to one modem, run init with --modem.",
    },
}
