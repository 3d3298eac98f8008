"""``pantau-agent init``: set up a kit (interactive or scripted with flags).

Interactive on a terminal; unattended with ``--yes`` (or without a terminal), when
every answer comes from the flags or the existing config. Steps:

1. the modem: scan the serial ports, probe them with AT, show model and IMEI, pick one;
2. the TPS code: validated (13 digits, a known province), the province shown;
3. the collector: ``HOST:PORT`` checked, then whether it answers (a short TCP connect);
   TLS: the deployment's ``ca.crt`` (copied next to the config) or ``--insecure``; and
   whether ``check`` may run its bounded speed test to the collector's throughput
   endpoint (``[check] upload_test``; ``--no-upload-test`` declines it);
4. the enrollment code, traded for the kit's credential (:mod:`agent.enroll`);
5. the config file, written atomically (mode 0600), checked with the agent's own
   loader before it replaces anything; the credential (0600) in the data directory
   (before any question, so before a code is redeemed: the directories are checked
   for room, a full disk, a read-only one and a missing permission each said as such);
6. optionally the systemd service, the udev rule and bounded logs
   (:mod:`agent.setup.install`), as root on a systemd host; otherwise the commands.

Running it again is safe: an existing config and credential are shown and kept (no
new enrollment unless ``--re-enroll`` or the TPS changes), unchanged files are not
rewritten, and the spool is never touched. Ctrl-C leaves no half-written file.

Exit codes: 0 done; 1 the modem, the collector or the enrollment failed; 2 bad or
missing flags; 130 stopped by the technician.

This module holds the command (flags, the order of the steps, the site step and the
files); the other steps are in :mod:`agent.setup.modem_step`,
:mod:`agent.setup.collector_step` and :mod:`agent.setup.service_step`.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.i18n import Detail
from agent.modem.dialects import DIALECTS
from agent.setup.collector_step import CollectorStep
from agent.setup.context import EXIT_ABORTED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Stop
from agent.setup.modem_step import ModemStep
from agent.setup.service_step import ServiceStep
from pantau.core.backhaul import BACKHAULS, CELLULAR

if TYPE_CHECKING:
    from agent.config import AgentConfig
    from agent.i18n import Messages
    from agent.setup.files import KitConfig
    from agent.setup.prompt import Ui

DEFAULT_CONFIG = Path("/etc/pantau/agent.toml")
DEFAULT_DATA_DIR = Path("/var/lib/pantau")
DIALECT_CHOICES = ("auto", *DIALECTS)


def register(sub: Any) -> None:
    """Add the ``init`` parser (with ``set_defaults(handler=...)``)."""
    p = sub.add_parser(
        "init",
        help="set up this kit: modem, TPS code, collector, enrollment, service",
        description="Set up a probe kit step by step (or unattended with flags and --yes).",
    )
    p.add_argument("--site", help="the 13-digit TPS code, e.g. 3171011001005")
    p.add_argument("--collector", metavar="HOST:PORT", help="the collector's address")
    p.add_argument("--code", help="one-time enrollment code from `pantau-collector enroll`")
    p.add_argument("--ca-file", help="the deployment's ca.crt (copied next to the config)")
    p.add_argument("--insecure", action="store_true", help="plaintext outside loopback (tests)")
    p.add_argument(
        "--modem", metavar="PORT|auto|none", help="the modem's AT port (default: auto, scan)"
    )
    p.add_argument("--dialect", choices=DIALECT_CHOICES, help="modem dialect (default auto)")
    p.add_argument(
        "--backhaul",
        choices=list(BACKHAULS),
        help="the link the kit's data travels over (default: the config's, else cellular); "
        "a VSAT kit may have no modem (--modem none)",
    )
    p.add_argument(
        "--scan",
        action="append",
        default=[],
        metavar="PATH",
        help="also look for the modem here (a port, a glob or a directory of links)",
    )
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                   help=f"the config file to write (default {DEFAULT_CONFIG})")  # fmt: skip
    p.add_argument("--data-dir", type=Path,
                   help=f"spool and credential directory (default {DEFAULT_DATA_DIR})")  # fmt: skip
    p.add_argument(
        "--install-service",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="install the systemd service, udev rule and log limits (root, systemd)",
    )
    p.add_argument(
        "--udev",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with the service, the udev rule keeping ModemManager off the modem (default on; "
        "--no-udev when the kit's internet comes through ModemManager)",
    )
    p.add_argument(
        "--upload-test",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="let `check` run its bounded speed test to the collector (default on; "
        "--no-upload-test declines it: check then says the upload is not measured)",
    )
    p.add_argument("--start", action="store_true", help="start (or restart) the service too")
    p.add_argument("--re-enroll", action="store_true", help="enroll again even with a credential")
    p.add_argument(
        "--yes",
        "--non-interactive",
        dest="yes",
        action="store_true",
        help="ask nothing: take every answer from the flags and the existing config",
    )
    p.add_argument("--lang", help="id or en (default: from the locale)")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for the collector")
    p.add_argument("--root", type=Path, default=Path("/"), help=argparse.SUPPRESS)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from agent.i18n import Messages, check_lang
    from agent.setup.prompt import Aborted, Ui

    try:
        lang = check_lang(args.lang) if args.lang else None
    except ValueError as exc:
        print(f"pantau-agent init: {exc}", file=sys.stderr)
        return EXIT_USAGE
    m = Messages(lang)
    from agent.tech import render

    render.use_lang(m.lang)
    ui = Ui(m, interactive=not args.yes and sys.stdin.isatty())
    try:
        return Init(args, ui, m).run()
    except (KeyboardInterrupt, Aborted):
        print(file=ui.out)
        ui.error("init.aborted")
        return EXIT_ABORTED


@dataclass(slots=True)
class Existing:
    config: AgentConfig | None
    error: str | None


class Init(ModemStep, CollectorStep, ServiceStep):
    """The steps in order; each step's methods live in its own module (agent.setup)."""

    def __init__(self, args: argparse.Namespace, ui: Ui, m: Messages) -> None:
        self.args = args
        self.ui = ui
        self.m = m
        self.config_path: Path = args.config.absolute()
        self.config_changed = False

    # -- the steps -------------------------------------------------------------------

    def run(self) -> int:
        ui = self.ui
        ui.say("init.title")
        if ui.interactive:
            ui.say("init.hint.abort")
        try:
            existing = self._existing()
            old = existing.config
            data_dir = (
                self.args.data_dir or (old.data_dir if old else None) or DEFAULT_DATA_DIR
            ).absolute()
            credential_path = data_dir / "credential"
            self._writable(self.config_path.parent, data_dir)
            from agent.setup.files import read_credential

            token = read_credential(credential_path)
            self._room(data_dir, code_pending=not token or self.args.re_enroll)
            if token:
                ui.say("init.existing.credential", path=credential_path)
            modems_text = ""
            if old is not None and len(old.modems) > 1 and self.args.modem is None:
                from agent.setup.files import modems_toml

                ui.say("init.modem.kept_several", n=len(old.modems))  # a modem per operator
                port, dialect, modems_text = "", "auto", modems_toml(old.modems)
            else:
                port, dialect, modems_text = self._modem(old)
            site = self._site(old)
            address, ca_file, insecure = self._collector(old)
            upload_test = self._upload_test(old)
            token, agent_id, site = self._credential(
                token, old, site=site, address=address, ca_file=ca_file, insecure=insecure
            )
            from agent.setup.files import KitConfig

            kit = KitConfig(
                site=site,
                agent_id=agent_id,
                data_dir=data_dir,
                collector=address,
                credential_file=credential_path,
                ca_file=ca_file,
                insecure=insecure,
                modem_port=port,
                dialect=dialect,
                upload_test=upload_test,
                backhaul=self.args.backhaul or (old.kit.backhaul if old else CELLULAR),
                modems_text=modems_text,
                **(_kept_check(old) if old else {}),
            )
            self._write(kit, token)
            self._service(data_dir)
        except Stop as stop:
            return stop.code
        ui.say("init.done", config=self.config_path)
        config = "" if self.config_path == DEFAULT_CONFIG else f" --config {self.config_path}"
        ui.say("init.next.check", command=f"pantau-agent check{config}")
        return EXIT_OK

    def _writable(self, *directories: Path) -> None:
        """Stop before asking anything (and before a code is used up) when a file
        could not be written: the nearest existing parent must be writable."""
        for directory in directories:
            node = directory
            while not node.exists() and node != node.parent:
                node = node.parent
            if not os.access(node, os.W_OK | os.X_OK):
                self.ui.error("init.file.cannot_write", path=directory, reason=os.strerror(13))
                raise Stop(EXIT_FAILURE)

    def _room(self, data_dir: Path, *, code_pending: bool) -> None:
        """Stop before the enrollment code is redeemed when a disk has no room: the
        config's directory for its files, the data directory for the spool's reserve
        too (a real write in each, so a full, read-only or inode-less disk shows)."""
        from agent import diskroom
        from agent.spool import RESERVE_BYTES
        from agent.tech.render import size

        try:
            made = (data_dir / "spool.sqlite.reserve").stat().st_size
        except OSError:
            made = 0
        wanted = (
            (self.config_path.parent, diskroom.FILES_BYTES),
            (data_dir, diskroom.data_dir_need(RESERVE_BYTES, made)),
        )
        for directory, needed in wanted:
            room = diskroom.measure(directory, needed)
            if room.ok:
                continue
            if room.status == diskroom.FULL:
                self.ui.error(
                    "init.disk.full" if code_pending else "init.disk.full_enrolled",
                    path=directory,
                    checked=room.checked,
                    free=size(room.free_bytes),
                    needed=size(needed),
                )
            elif room.status == diskroom.READ_ONLY:
                self.ui.error("init.disk.read_only", path=directory, error=room.error)
            elif room.status == diskroom.NO_PERMISSION:
                self.ui.error("init.file.cannot_write", path=directory, reason=room.error)
            else:
                self.ui.error("init.disk.failed", path=directory, error=room.error)
            raise Stop(EXIT_FAILURE)

    def _existing(self) -> Existing:
        from agent.config import load_agent_config
        from pantau.core.tomlconfig import ConfigError

        if not self.config_path.exists():
            return Existing(None, None)
        try:
            cfg = load_agent_config(self.config_path)
        except ConfigError as exc:
            self.ui.say("init.existing.invalid", path=self.config_path, error=Detail(exc.detail))
            return Existing(None, exc.detail)
        self.ui.say("init.existing.found", path=self.config_path)
        self.ui.say(
            "init.existing.summary",
            site=cfg.agent.site,
            collector=cfg.collector.address,
            modem=cfg.modem.port or "-",
        )
        return Existing(cfg, None)

    # -- site ------------------------------------------------------------------------

    def _site(self, old: AgentConfig | None) -> str:
        ui = self.ui
        given = self.args.site
        if given is None and old is not None and not ui.interactive:
            given = old.agent.site
        if given is not None:
            site, problem = self._check_site(given)
            if problem is None:
                return site
            if not ui.interactive:
                raise Stop(EXIT_USAGE)
        elif not ui.interactive:
            ui.error("init.missing", flag="--site")
            raise Stop(EXIT_USAGE)
        default = old.agent.site if old else ""
        while True:
            answer = ui.ask("init.site.ask", default=default)
            if not answer:
                continue
            site, problem = self._check_site(answer)
            if problem is None:
                return site

    def _check_site(self, text: str) -> tuple[str, str | None]:
        """The code, cleaned, and None; or the code and the problem (already shown)."""
        from pantau.core.sites import (
            LOOKALIKES,
            PROVINCES,
            TpsCodeError,
            first_non_digit,
            province_of,
            validate_tps_code,
        )

        code = "".join(c for c in text if c not in " .-/")
        bad = first_non_digit("".join(c if c not in " .-/" else "0" for c in text))
        if bad is not None:  # the position as typed (separators count)
            position, char = bad
            digit = LOOKALIKES.get(char)
            hint = self.m("init.site.lookalike", char=char, digit=digit) if digit else ""
            self.ui.error("init.site.bad_char", code=text, char=char, position=position, hint=hint)
            return code, "init.site.bad_char"
        key: str | None = None
        if len(code) != 13:
            key = "init.site.bad_length"
        elif code[:2] not in PROVINCES:
            key = "init.site.bad_province"
        elif code[10:] == "000":
            key = "init.site.tps_zero"
        if key is not None:
            self.ui.error(key, code=text, digits=len(code), prefix=code[:2])
            return code, key
        try:
            validate_tps_code(code)
        except TpsCodeError as exc:  # a rule added later: its own words, in English
            self.ui.error("init.site.invalid", code=text, reason=Detail(str(exc)))
            return code, "invalid"
        self.ui.say(
            "init.site.ok",
            code=code,
            province=province_of(code),
            kabkota=code[2:4],
            kecamatan=code[4:6],
            desa=code[6:10],
            tps=code[10:],
        )
        return code, None

    # -- files -----------------------------------------------------------------------

    def _write(self, kit: KitConfig, token: str) -> None:
        """The credential, the CA copy, then the config (checked before it lands)."""
        from dataclasses import replace

        from agent.config import load_agent_config
        from agent.setup.files import CONFIG_MODE, atomic_write
        from pantau.core.tomlconfig import ConfigError

        ui = self.ui
        try:
            kit.data_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
            if atomic_write(kit.credential_file, (token + "\n").encode("ascii"), 0o600):
                ui.say("init.file.written", path=kit.credential_file)
            if kit.ca_file:
                kept = self.config_path.parent / "ca.crt"
                if Path(kit.ca_file) != kept:
                    if atomic_write(kept, Path(kit.ca_file).read_bytes(), 0o644):
                        ui.say("init.file.ca_copied", source=kit.ca_file, path=kept)
                    kit = replace(kit, ca_file=str(kept))
            text = kit.render().encode("utf-8")
            self._backup_if_different(text)
            changed = atomic_write(self.config_path, text, CONFIG_MODE, check=_check_config)
            load_agent_config(self.config_path)  # the agent reads exactly this
            self.config_changed = changed
        except ConfigError as exc:
            ui.error("init.file.config_invalid", error=Detail(exc.detail))
            raise Stop(EXIT_FAILURE) from None
        except OSError as exc:
            self._cannot_write(exc)
            raise Stop(EXIT_FAILURE) from None
        ui.say("init.file.written" if changed else "init.file.unchanged", path=self.config_path)

    def _cannot_write(self, exc: OSError) -> None:
        """Why a file could not be written, with advice that fits: sudo only for a
        permission problem (root on a full disk needs room, not sudo)."""
        import errno

        from agent import diskroom
        from agent.tech.render import size

        path = exc.filename or ""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            free = diskroom.free_bytes(diskroom.existing_parent(Path(path or ".").parent))
            self.ui.error("init.disk.full_late", path=path, free=size(free))
        elif exc.errno in (errno.EACCES, errno.EPERM):
            self.ui.error("init.file.cannot_write", path=path, reason=exc.strerror or exc)
        else:
            self.ui.error("init.disk.failed", path=path, error=exc.strerror or exc)

    def _backup_if_different(self, text: bytes) -> None:
        from agent.setup.files import atomic_write

        try:
            current = self.config_path.read_bytes()
        except OSError:
            return
        if current != text:
            backup = self.config_path.with_name(self.config_path.name + ".bak")
            atomic_write(backup, current, 0o600)
            self.ui.say("init.file.backup", path=backup)


def _kept_check(old: AgentConfig) -> dict[str, Any]:
    """The existing config's speed-test settings, kept on a re-run."""
    return {
        "throughput_port": old.check.throughput_port,
        "upload_need_mbps": old.check.upload_need_mbps,
    }


def _check_config(path: Path) -> None:
    from agent.config import load_agent_config

    load_agent_config(path)
