"""Messages of ``pantau-agent check`` (the readiness report)."""

from typing import Final

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "check.running": {
        "id": "Memeriksa kesiapan kit (paling lama sekitar satu menit)...",
        "en": "Checking the kit's readiness (about a minute at most)...",
    },
    "check.title": {
        "id": "Pantau: pemeriksaan kesiapan kit, TPS {site}",
        "en": "Pantau: kit readiness check, TPS {site}",
    },
    "check.progress.throughput": {"id": "Uji kecepatan", "en": "Speed test"},
    # Verdicts.
    "check.verdict.ready": {"id": "SIAP", "en": "READY"},
    "check.verdict.degraded": {"id": "KURANG BAIK", "en": "DEGRADED"},
    "check.verdict.not_ready": {"id": "TIDAK SIAP", "en": "NOT READY"},
    "check.verdict.line": {"id": "HASIL: {verdict}", "en": "RESULT: {verdict}"},
    "check.heading.reasons": {"id": "Temuan:", "en": "Findings:"},
    "check.heading.advice": {"id": "Saran:", "en": "Advice:"},
    # Grades.
    "check.grade.excellent": {"id": "sangat baik", "en": "excellent"},
    "check.grade.good": {"id": "baik", "en": "good"},
    "check.grade.fair": {"id": "cukup", "en": "fair"},
    "check.grade.poor": {"id": "buruk", "en": "poor"},
    # Table labels.
    "check.label.modem": {"id": "Modem", "en": "Modem"},
    "check.label.sim": {"id": "Kartu SIM", "en": "SIM card"},
    "check.label.network": {"id": "Jaringan", "en": "Network"},
    "check.label.signal": {"id": "Sinyal", "en": "Signal"},
    "check.label.collector_tcp": {"id": "Koneksi kolektor", "en": "Collector connect"},
    "check.label.collector_ping": {"id": "Ping kolektor", "en": "Collector ping"},
    "check.label.collector_dns": {"id": "DNS kolektor", "en": "Collector DNS"},
    "check.label.probe": {"id": "Uji {name}", "en": "Probe {name}"},
    "check.label.collector": {"id": "Kolektor", "en": "Collector"},
    "check.label.throughput": {"id": "Kecepatan unggah", "en": "Upload speed"},
    "check.label.download": {"id": "Kecepatan unduh", "en": "Download speed"},
    "check.label.spool": {"id": "Antrean kirim", "en": "Send queue"},
    "check.label.clock": {"id": "Jam", "en": "Clock"},
    "check.label.data_today": {"id": "Data hari ini", "en": "Data today"},
    "check.label.photos": {"id": "Foto hasil", "en": "Result photos"},
    # Table values.
    "check.modem.ok": {"id": "{name}, IMEI {imei}", "en": "{name}, IMEI {imei}"},
    "check.modem.from_agent": {
        "id": "(dibaca oleh agen yang sedang berjalan)",
        "en": "(read by the running agent)",
    },
    "check.modem.failed": {"id": "tidak terbaca ({port})", "en": "not readable ({port})"},
    "check.modem.lost": {
        "id": "hilang saat pemeriksaan ({port})",
        "en": "lost during the check ({port})",
    },
    "check.label.disk": {"id": "Disk data", "en": "Data disk"},
    "check.disk.ok": {"id": "sisa {free} (perlu {needed})", "en": "{free} free ({needed} needed)"},
    "check.disk.full": {
        "id": "PENUH: sisa {free}, perlu {needed} ({path})",
        "en": "FULL: {free} free, {needed} needed ({path})",
    },
    "check.disk.failed": {
        "id": "tidak bisa ditulis ({path}): {error}",
        "en": "cannot be written ({path}): {error}",
    },
    "check.modem.not_configured": {"id": "tidak diatur", "en": "not configured"},
    "check.sim.ready": {"id": "siap", "en": "ready"},
    "check.sim.absent": {"id": "tidak ada", "en": "missing"},
    "check.sim.pin": {"id": "terkunci PIN", "en": "locked (PIN)"},
    "check.sim.puk": {"id": "terblokir (PUK)", "en": "blocked (PUK)"},
    "check.sim.busy": {"id": "sibuk", "en": "busy"},
    "check.sim.error": {"id": "galat", "en": "error"},
    "check.network.home": {
        "id": "{operator} ({code}), {rat}, terdaftar",
        "en": "{operator} ({code}), {rat}, registered",
    },
    "check.network.roaming": {
        "id": "{operator} ({code}), {rat}, roaming",
        "en": "{operator} ({code}), {rat}, roaming",
    },
    "check.network.none": {
        "id": "tidak ada layanan ({state})",
        "en": "no service ({state})",
    },
    "check.reg.not_registered": {"id": "tidak terdaftar", "en": "not registered"},
    "check.reg.home": {"id": "terdaftar", "en": "registered"},
    "check.reg.searching": {"id": "mencari jaringan", "en": "searching"},
    "check.reg.denied": {"id": "ditolak", "en": "denied"},
    "check.reg.unknown": {"id": "tidak diketahui", "en": "unknown"},
    "check.reg.roaming": {"id": "roaming", "en": "roaming"},
    "check.reg.sms_only": {"id": "hanya SMS", "en": "SMS only"},
    "check.reg.emergency": {"id": "hanya panggilan darurat", "en": "emergency calls only"},
    "check.reg.other": {"id": "lainnya", "en": "other"},
    "check.signal.samples": {"id": "(pembacaan: {n})", "en": "(readings: {n})"},
    "check.probe.ping": {
        "id": "{target}: {received}/{sent} balasan, median {median} ms",
        "en": "{target}: {received}/{sent} replies, median {median} ms",
    },
    "check.probe.tcp": {"id": "{target}: tersambung {ms} ms", "en": "{target}: connected {ms} ms"},
    "check.probe.dns": {"id": "{target}: terjawab {ms} ms", "en": "{target}: answered {ms} ms"},
    "check.probe.ok": {"id": "{target}: berhasil", "en": "{target}: ok"},
    "check.probe.failed": {"id": "{target}: gagal ({error})", "en": "{target}: failed ({error})"},
    "check.collector.ok": {
        "id": "{address}: terhubung, terdaftar sebagai {agent} (TPS {site}), {ms} ms",
        "en": "{address}: connected, enrolled as {agent} (TPS {site}), {ms} ms",
    },
    "check.collector.not_configured": {
        "id": "tidak diatur (beri --config atau --collector)",
        "en": "not configured (give --config or --collector)",
    },
    "check.collector.no_credential_up": {
        "id": "{address}: terjangkau, tetapi kit belum terdaftar",
        "en": "{address}: reachable, but the kit is not enrolled",
    },
    "check.collector.down": {
        "id": "{address}: tidak terjangkau ({error})",
        "en": "{address}: unreachable ({error})",
    },
    "check.collector.reachable": {
        "id": "{address}: terjangkau (pendaftaran kit tidak diperiksa tanpa --config)",
        "en": "{address}: reachable (enrollment not checked without --config)",
    },
    "check.collector.rejected": {
        "id": "{address}: menolak kit ini ({error})",
        "en": "{address}: refuses this kit ({error})",
    },
    "check.throughput.ok": {"id": "{rate} (diukur)", "en": "{rate} (measured)"},
    "check.throughput.load": {
        "id": "latensi saat beban penuh {latency} ms, jitter {jitter} ms",
        "en": "latency under load {latency} ms, jitter {jitter} ms",
    },
    "check.throughput.need": {
        "id": "kebutuhan foto hasil {need} Mbit/s",
        "en": "the result photos need {need} Mbit/s",
    },
    "check.throughput.skipped": {
        "id": "TIDAK DIUKUR: dilewati (--no-throughput)",
        "en": "NOT MEASURED: skipped (--no-throughput)",
    },
    "check.throughput.declined": {
        "id": "TIDAK DIUKUR: uji unggah ditolak saat init ([check] upload_test = false)",
        "en": "NOT MEASURED: the upload test was declined at init ([check] upload_test = false)",
    },
    "check.throughput.not_configured": {
        "id": "TIDAK DIUKUR: tidak ada uji kecepatan di konfigurasi",
        "en": "NOT MEASURED: no speed test in the configuration",
    },
    "check.throughput.failed": {"id": "gagal ({error})", "en": "failed ({error})"},
    "check.spool.records": {
        "id": "{n} catatan data menunggu dikirim",
        "en": "{n} records waiting to be sent",
        "en_one": "{n} record waiting to be sent",
    },
    "check.clock.synced": {"id": "tersinkron (NTP)", "en": "synchronised (NTP)"},
    "check.clock.unsynced": {"id": "belum tersinkron", "en": "not synchronised"},
    "check.clock.offset": {
        "id": "selisih dengan kolektor {seconds} dtk",
        "en": "{seconds} s off the collector",
    },
    "check.data.of": {"id": "{used} dari {budget}", "en": "{used} of {budget}"},
    "check.data.this_check": {
        "id": "{data} (termasuk {used} untuk pemeriksaan ini)",
        "en": "{data} (including {used} for this check)",
    },
    "check.photos.measured": {
        "id": "{mb} MB (--photos-mb; bawaan 10 foto x 3 MB): sekitar {time} dengan unggah "
        "{rate} yang diukur, ditambah 15 % untuk protokol",
        "en": "{mb} MB (--photos-mb; default 10 photos x 3 MB): about {time} at the measured "
        "upload {rate}, plus 15 % for the protocol",
    },
    "check.photos.estimated": {
        "id": "{mb} MB: sekitar {time} (unggah {rate}, perkiraan dari sinyal)",
        "en": "{mb} MB: about {time} (upload {rate}, estimated from the signal)",
    },
    "check.photos.none": {
        "id": "{mb} MB: tidak bisa diunggah tanpa jaringan",
        "en": "{mb} MB: cannot be uploaded without a network",
    },
    # Reasons (one per code in agent.tech.verdict.REASONS).
    "check.reason.modem_not_found": {
        "id": "Modem tidak ditemukan di {port}: {error}",
        "en": "No modem at {port}: {error}",
    },
    "check.reason.modem_busy": {
        "id": "Port modem {port} sedang dipakai program lain: {error}",
        "en": "The modem port {port} is held by another program: {error}",
    },
    "check.reason.modem_no_answer": {
        "id": "Modem di {port} tidak menjawab: {error}",
        "en": "The modem at {port} does not answer: {error}",
    },
    "check.reason.modem_error": {
        "id": "Modem di {port} tidak bisa dibaca: {error}",
        "en": "The modem at {port} cannot be read: {error}",
    },
    "check.reason.modem_lost": {
        "id": "Modem di {port} hilang saat pemeriksaan (terlepas dari USB atau berhenti "
        "menjawab): {error}",
        "en": "The modem at {port} was lost during the check (it dropped off USB or "
        "stopped answering): {error}",
    },
    "check.reason.disk_full": {
        "id": "Disk data penuh: {path} punya sisa {free}, kit perlu {needed} (ruang "
        "cadangan spool dan berkas kit); data yang belum terkirim tidak bisa disimpan",
        "en": "The data disk is full: {path} has {free} free, the kit needs {needed} (the "
        "spool's reserve and the kit's files); records not yet sent cannot be kept",
    },
    "check.reason.disk_read_only": {
        "id": "Disk data hanya bisa dibaca: {path} tidak bisa ditulis ({error})",
        "en": "The data disk is read-only: {path} cannot be written ({error})",
    },
    "check.reason.data_dir_not_writable": {
        "id": "Direktori data {path} tidak bisa ditulis: {error}",
        "en": "The data directory {path} cannot be written: {error}",
    },
    "check.reason.modem_from_agent": {
        "id": "Modem {port} dipakai agen yang sedang berjalan; sinyal dari pembacaan "
        "terakhirnya pukul {time}",
        "en": "The modem {port} is in use by the running agent; the signal is its last "
        "reading, at {time}",
    },
    "check.reason.modem_not_configured": {
        "id": "Tidak ada modem yang diatur: sinyal dan SIM tidak diperiksa",
        "en": "No modem configured: signal and SIM not checked",
    },
    "check.reason.sim_missing": {
        "id": "Kartu SIM tidak terdeteksi",
        "en": "No SIM card detected",
    },
    "check.reason.sim_pin": {
        "id": "Kartu SIM terkunci PIN",
        "en": "The SIM card is locked with a PIN",
    },
    "check.reason.sim_puk": {
        "id": "Kartu SIM terblokir (perlu kode PUK)",
        "en": "The SIM card is blocked (needs the PUK code)",
    },
    "check.reason.sim_error": {
        "id": "Kartu SIM bermasalah ({state})",
        "en": "The SIM card has a problem ({state})",
    },
    "check.reason.no_service": {
        "id": "Tidak ada layanan seluler (status pendaftaran: {state})",
        "en": "No cellular service (registration: {state})",
    },
    "check.reason.registration_denied": {
        "id": "Jaringan seluler menolak mendaftarkan kartu SIM ini (operator: {operator})",
        "en": "The mobile network refuses to register this SIM (operator: {operator})",
    },
    "check.reason.roaming": {
        "id": "Kartu SIM sedang roaming di {operator}",
        "en": "The SIM is roaming on {operator}",
    },
    "check.reason.signal_weak": {
        "id": "Sinyal lemah: {metric} {value}",
        "en": "Weak signal: {metric} {value}",
    },
    "check.reason.signal_noisy": {
        "id": "Kualitas sinyal buruk (gangguan): {metric} {value}",
        "en": "Poor signal quality (interference): {metric} {value}",
    },
    "check.reason.signal_fair": {
        "id": "Sinyal cukup, belum baik",
        "en": "The signal is fair, not good",
    },
    "check.reason.rat_2g": {
        "id": "Hanya jaringan 2G: unggah foto akan sangat lambat",
        "en": "2G only: photo uploads will be very slow",
    },
    "check.reason.collector_unreachable": {
        "id": "Kolektor {address} tidak terjangkau: {error}",
        "en": "The collector {address} is unreachable: {error}",
    },
    "check.reason.collector_rejected": {
        "id": "Kolektor {address} menolak kredensial kit: {error}",
        "en": "The collector {address} refuses the kit's credential: {error}",
    },
    "check.reason.ca_file_bad": {
        "id": "Berkas CA kolektor {path} tidak bisa dipakai: {problem} (kolektor {address} "
        "tidak diperiksa)",
        "en": "The collector's CA file {path} cannot be used: {problem} (the collector "
        "{address} was not checked)",
    },
    "check.reason.not_enrolled": {
        "id": "Kit belum terdaftar ke kolektor {address} (tidak ada kredensial)",
        "en": "The kit is not enrolled with the collector {address} (no credential)",
    },
    "check.reason.collector_not_configured": {
        "id": "Alamat kolektor tidak diberikan: kolektor tidak diperiksa",
        "en": "No collector address given: the collector was not checked",
    },
    "check.reason.enrollment_not_checked": {
        "id": "Pendaftaran kit ke kolektor {address} tidak diperiksa (beri --config)",
        "en": "The kit's enrollment with the collector {address} was not checked (give --config)",
    },
    "check.reason.ping_loss": {
        "id": "Ping ke {target}: {lost} dari {sent} paket hilang ({percent}%)",
        "en": "Pings to {target}: {lost} of {sent} packets lost ({percent}%)",
    },
    "check.reason.ping_slow": {
        "id": "Ping ke {target} lambat: median {ms} ms",
        "en": "Pings to {target} are slow: median {ms} ms",
    },
    "check.reason.dns_failed": {
        "id": "Nama {name} tidak bisa diterjemahkan (DNS): {error}",
        "en": "The name {name} does not resolve (DNS): {error}",
    },
    "check.reason.probe_failed": {
        "id": "Uji {name} ke {target} gagal: {error}",
        "en": "Probe {name} to {target} failed: {error}",
    },
    "check.reason.throughput_low": {
        "id": "Kecepatan unggah {mbps} Mbit/s di bawah kebutuhan foto hasil ({need_mbps} "
        "Mbit/s; KPU meminta sekitar 3-4 Mbit/s)",
        "en": "Upload speed {mbps} Mbit/s is under what the result photos need ({need_mbps} "
        "Mbit/s; KPU asks for about 3-4 Mbit/s)",
    },
    "check.reason.upload_not_measured": {
        "id": "Kecepatan unggah tidak diukur: kebutuhan foto hasil ({need_mbps} Mbit/s) "
        "belum diperiksa",
        "en": "Upload speed not measured: what the result photos need ({need_mbps} Mbit/s) "
        "is not checked",
    },
    "check.reason.throughput_failed": {
        "id": "Uji kecepatan unggah tidak berhasil: {error}",
        "en": "The upload speed test did not complete: {error}",
    },
    "check.reason.photos_slow": {
        "id": "Mengunggah {mb} MB foto hasil akan memakan sekitar {minutes} menit",
        "en": "Uploading {mb} MB of result photos would take about {minutes} minutes",
    },
    "check.reason.spool_backlog": {
        "id": "{n} catatan data masih menunggu dikirim ke kolektor",
        "en": "{n} records are still waiting to be sent to the collector",
        "en_one": "{n} record is still waiting to be sent to the collector",
    },
    "check.reason.clock_unsynced": {
        "id": "Jam kit belum tersinkron NTP (kolektor tetap mengoreksi waktu data)",
        "en": "The kit's clock is not NTP-synchronised (the collector still corrects record times)",
    },
    "check.reason.clock_offset": {
        "id": "Jam kit selisih {seconds} detik dari kolektor",
        "en": "The kit's clock is {seconds} s off the collector's",
    },
    "check.reason.budget_spent": {
        "id": "Kuota data harian kit sudah habis ({mb} MB terpakai): uji mahal dilewati "
        "sampai 00:00 UTC",
        "en": "The kit's daily data budget is spent ({mb} MB used): expensive probes are "
        "skipped until 00:00 UTC",
    },
    # Advice (one per code in agent.tech.verdict.ADVICE).
    "check.advice.insert_sim": {
        "id": "Matikan kit, pasang kartu SIM dengan benar (kontak emas ke bawah, sampai "
        "terkunci), lalu nyalakan lagi",
        "en": "Power the kit off, insert the SIM card properly (gold contacts down, until "
        "it clicks), then power it on again",
    },
    "check.advice.enter_pin": {
        "id": "Buka kunci PIN kartu SIM (masukkan PIN di ponsel dan matikan permintaan PIN), "
        "lalu pasang lagi",
        "en": "Unlock the SIM (enter the PIN in a phone and turn the PIN request off), "
        "then put it back",
    },
    "check.advice.call_operator": {
        "id": "Hubungi operator kartu SIM: kartu terblokir atau tidak aktif (cek masa aktif "
        "dan paket data)",
        "en": "Call the SIM's operator: the card is blocked or inactive (check its validity "
        "and data package)",
    },
    "check.advice.reseat_modem": {
        "id": "Cabut modem lalu pasang lagi dengan kuat (coba port USB lain), periksa kabel "
        "dan daya (Raspberry Pi perlu adaptor 3 A; modem sebaiknya lewat hub USB berdaya), "
        "lalu jalankan `check` lagi",
        "en": "Re-seat the modem: unplug it and plug it in firmly (try another USB port), "
        "check the cable and the power (a Raspberry Pi needs a 3 A supply; a powered USB "
        "hub for the modem helps), then run `check` again",
    },
    "check.advice.free_disk": {
        "id": "Kosongkan ruang di disk data (`df -h` menunjukkan sisanya): "
        "`sudo journalctl --vacuum-size=50M`, hapus berkas besar yang tidak diperlukan, "
        "lalu jalankan `check` lagi",
        "en": "Free space on the data disk (`df -h` shows what is left): "
        "`sudo journalctl --vacuum-size=50M`, delete large files that are not needed, "
        "then run `check` again",
    },
    "check.advice.check_disk": {
        "id": "Jalankan `check` dengan sudo. Bila tetap tidak bisa ditulis: kartu SD atau "
        "disk mungkin rusak atau terpasang hanya-baca (`mount`, `dmesg`), atau direktorinya "
        "bukan milik pengguna layanan (`sudo chown -R pantau:pantau /var/lib/pantau`)",
        "en": "Run `check` with sudo. If it still cannot write: the SD card or disk may be "
        "failing or mounted read-only (`mount`, `dmesg`), or the directory is not the "
        "service user's (`sudo chown -R pantau:pantau /var/lib/pantau`)",
    },
    "check.advice.check_modem": {
        "id": "Periksa modem: kabel USB, daya, lampu modem; cabut dan pasang lagi "
        "(`pantau-agent modem detect` mencari port AT)",
        "en": "Check the modem: USB cable, power, its lights; unplug and plug it in again "
        "(`pantau-agent modem detect` finds the AT port)",
    },
    "check.advice.free_modem_port": {
        "id": "Port modem dipakai program lain: hentikan ModemManager atau agen "
        "(`systemctl stop pantau-agent`) selama pemeriksaan",
        "en": "Another program holds the modem port: stop ModemManager or the agent "
        "(`systemctl stop pantau-agent`) while checking",
    },
    "check.advice.use_4g": {
        "id": "Pakai modem yang mendukung 4G dan kartu SIM 4G (kartu lama bisa ditukar "
        "gratis di gerai operator); bila keduanya sudah 4G, coba kartu SIM operator lain "
        "yang punya 4G di lokasi ini. Memindahkan antena tidak menolong: 2G tetap lambat "
        "walau sinyalnya kuat",
        "en": "Use a 4G-capable modem and a 4G SIM (operators swap old cards for free at "
        "their shops); if both are 4G already, try another operator's SIM with 4G at this "
        "site. Moving the antenna does not help: 2G stays slow however strong its signal",
    },
    "check.advice.move_antenna": {
        "id": "Pindahkan antena atau kit ke tempat lebih tinggi atau dekat jendela, jauh "
        "dari logam dan dinding tebal (`pantau-agent survey` membantu mencari titik terbaik)",
        "en": "Move the antenna or the kit higher or near a window, away from metal and "
        "thick walls (`pantau-agent survey` helps find the best spot)",
    },
    "check.advice.try_other_operator": {
        "id": "Coba kartu SIM operator lain (Telkomsel, Indosat, XL, Smartfren) yang "
        "sinyalnya lebih kuat di lokasi ini",
        "en": "Try another operator's SIM (Telkomsel, Indosat, XL, Smartfren) with a "
        "stronger signal at this site",
    },
    "check.advice.plan_photo_upload": {
        "id": "Jika kecepatan unggah tetap di bawah kebutuhan setelah antena dipindah dan "
        "operator lain dicoba, laporkan ke koordinator sebelum hari pemungutan suara agar "
        "foto C1 TPS ini dikirim dari tempat lain yang sinyalnya lebih baik",
        "en": "If the upload stays under the need after moving the antenna and trying "
        "another operator, tell the coordinator before election day so that this TPS's "
        "C1 photos are sent from another place with a better signal",
    },
    "check.advice.use_satellite": {
        "id": "Jika tidak ada operator yang menjangkau lokasi, gunakan tautan satelit BAKTI",
        "en": "Where no operator covers the site, use the BAKTI satellite link",
    },
    "check.advice.fix_ca_file": {
        "id": "Minta berkas ca.crt deployment ke operator kolektor, lalu pasang: "
        "`sudo pantau-agent init --ca-file JALUR/ca.crt{config}` (atau salin ke tempat yang "
        "disebut [collector] ca_file)",
        "en": "Get the deployment's ca.crt from the collector's operators, then install it: "
        "`sudo pantau-agent init --ca-file PATH/ca.crt{config}` (or copy it to where "
        "[collector] ca_file says)",
    },
    "check.advice.check_collector_address": {
        "id": "Periksa alamat kolektor di konfigurasi ([collector] address) dan pastikan "
        "kolektor menyala",
        "en": "Check the collector address in the configuration ([collector] address) and "
        "that the collector is running",
    },
    "check.advice.enroll": {
        "id": "Minta kode pendaftaran baru ke operator kolektor, lalu daftarkan ulang kit "
        "(alamat kolektor dan berkas CA diambil dari konfigurasi): "
        "`sudo pantau-agent init --re-enroll --code KODE{config}`",
        "en": "Ask the collector's operators for a new enrollment code, then enroll the kit "
        "again (the collector address and CA file come from the configuration): "
        "`sudo pantau-agent init --re-enroll --code CODE{config}`",
    },
    "check.advice.check_dns": {
        "id": "Periksa DNS: pastikan paket data aktif, atau pakai alamat IP kolektor",
        "en": "Check DNS: make sure the data package is active, or use the collector's IP address",
    },
    "check.advice.keep_agent_running": {
        "id": "Biarkan agen berjalan dan terhubung sampai antrean kirim kosong",
        "en": "Keep the agent running and connected until the send queue is empty",
    },
    "check.advice.wait_clock_sync": {
        "id": "Tunggu jam tersinkron (perlu internet) atau periksa layanan NTP (`timedatectl`)",
        "en": "Wait for the clock to synchronise (needs the internet) or check the NTP "
        "service (`timedatectl`)",
    },
}
