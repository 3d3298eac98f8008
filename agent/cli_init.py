"""``pantau-agent init``: set up a kit (interactive or scripted with flags).

Interactive on a terminal; unattended with ``--yes`` (or without a terminal), when
every answer comes from the flags or the existing config. Steps:

1. the modem: scan the serial ports, probe them with AT, show model and IMEI, pick one;
2. the TPS code: validated (13 digits, a known province), the province shown;
3. the collector: ``HOST:PORT`` checked, then whether it answers (a short TCP connect);
   TLS: the deployment's ``ca.crt`` (copied next to the config) or ``--insecure``;
4. the enrollment code, traded for the kit's credential (:mod:`agent.enroll`);
5. the config file, written atomically (mode 0600), checked with the agent's own
   loader before it replaces anything; the credential (0600) in the data directory;
6. optionally the systemd service, the udev rule and bounded logs
   (:mod:`agent.setup.install`), as root on a systemd host; otherwise the commands.

Running it again is safe: an existing config and credential are shown and kept (no
new enrollment unless ``--re-enroll`` or the TPS changes), unchanged files are not
rewritten, and the spool is never touched. Ctrl-C leaves no half-written file.

Exit codes: 0 done; 1 the modem, the collector or the enrollment failed; 2 bad or
missing flags; 130 stopped by the technician.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.errors import AgentError

if TYPE_CHECKING:
    from agent.config import AgentConfig
    from agent.i18n import Messages
    from agent.setup.files import KitConfig
    from agent.setup.ports import FoundPort
    from agent.setup.prompt import Ui

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_ABORTED = 0, 1, 2, 130
DEFAULT_CONFIG = Path("/etc/pantau/agent.toml")
DEFAULT_DATA_DIR = Path("/var/lib/pantau")
DEFAULT_COLLECTOR_PORT = 7600
DIALECT_CHOICES = ("auto", "3gpp", "quectel", "simcom", "huawei", "sierra", "fibocom")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


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
    ui = Ui(m, interactive=not args.yes and sys.stdin.isatty())
    try:
        return Init(args, ui, m).run()
    except (KeyboardInterrupt, Aborted):
        print(file=ui.out)
        ui.error("init.aborted")
        return EXIT_ABORTED


class Stop(AgentError):
    """End ``init`` with an exit code (the message was already shown)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass(slots=True)
class Existing:
    config: AgentConfig | None
    error: str | None


class Init:
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
            if token:
                ui.say("init.existing.credential", path=credential_path)
            port, dialect = self._modem(old)
            site = self._site(old)
            address, ca_file, insecure = self._collector(old)
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

    def _existing(self) -> Existing:
        from agent.config import load_agent_config
        from pantau.core.tomlconfig import ConfigError

        if not self.config_path.exists():
            return Existing(None, None)
        try:
            cfg = load_agent_config(self.config_path)
        except ConfigError as exc:
            self.ui.say("init.existing.invalid", path=self.config_path, error=exc.detail)
            return Existing(None, exc.detail)
        self.ui.say("init.existing.found", path=self.config_path)
        self.ui.say(
            "init.existing.summary",
            site=cfg.agent.site,
            collector=cfg.collector.address,
            modem=cfg.modem.port or "-",
        )
        return Existing(cfg, None)

    # -- modem -----------------------------------------------------------------------

    def _modem(self, old: AgentConfig | None) -> tuple[str, str]:
        from agent.setup import ports

        ui, args = self.ui, self.args
        dialect = args.dialect or (old.modem.dialect if old else "auto")
        wanted = args.modem
        if wanted is None and old is not None and not ui.interactive:
            wanted = old.modem.port or "none"
        if wanted is None:
            wanted = "auto" if not ui.interactive else ""
        if wanted.lower() == "none":
            ui.say("init.modem.skipped")
            return "", dialect
        if wanted and wanted.lower() != "auto":
            found = ports.probe(wanted)
            self._show_port(0, found)
            if not found.is_modem:
                ui.say("init.modem.no_answer", port=wanted)
                if ui.interactive and not ui.confirm("init.modem.use_anyway", default=True):
                    return self._choose_modem(old), dialect
            return wanted, dialect
        if not ui.interactive:
            ui.say("init.modem.scanning")
            found_all = ports.scan(args.scan)
            self._show_found(found_all)
            modems = [f for f in found_all if f.is_modem]
            if not modems:
                ui.error("init.modem.none_unattended")
                raise Stop(EXIT_FAILURE)
            if len(modems) > 1:
                ui.say("init.modem.several_first", port=modems[0].config_port)
            ui.say("init.modem.chosen", port=modems[0].config_port)
            return modems[0].config_port, dialect
        return self._choose_modem(old), dialect

    def _choose_modem(self, old: AgentConfig | None) -> str:
        from agent.setup import ports

        ui = self.ui
        current = old.modem.port if old else ""
        while True:
            ui.say("init.modem.scanning")
            found = ports.scan(self.args.scan)
            modems = [f for f in found if f.is_modem]
            self._show_found(found)
            if modems:
                ui.say("init.modem.option_none")
                default = "1"
                for i, f in enumerate(modems, start=1):
                    if current and current in (f.path, f.usb, f.config_port):
                        default = str(i)
                answer = ui.ask("init.modem.choose", default=default)
            else:
                ui.say("init.modem.none_found")
                answer = ui.ask("init.modem.enter", default=current)
            if answer == "0":
                ui.say("init.modem.skipped")
                return ""
            if answer.isdigit() and modems and 1 <= int(answer) <= len(modems):
                chosen = modems[int(answer) - 1]
                ui.say("init.modem.chosen", port=chosen.config_port)
                return chosen.config_port
            if answer.isdigit() or not answer:
                if modems:
                    ui.say("init.modem.bad_choice", n=len(modems))
                continue  # scan again
            probe = ports.probe(answer)
            self._show_port(0, probe)
            if probe.is_modem or ui.confirm("init.modem.use_anyway", default=False):
                ui.say("init.modem.chosen", port=answer)
                return answer

    def _show_found(self, found: list[FoundPort]) -> None:
        modems = [f for f in found if f.is_modem]
        for i, f in enumerate(modems, start=1):
            self._show_port(i, f)
        for f in found:
            if f.held_by:
                self.ui.say("init.modem.held", port=f.path, holder=f.held_by)
        if any(f.held_by and "ModemManager" in f.held_by for f in found):
            self.ui.say("init.modem.mm_hint")

    def _show_port(self, index: int, f: FoundPort) -> None:
        if f.is_modem:
            self.ui.say(
                "init.modem.item",
                n=index or "*",
                port=f.path,
                maker=f.manufacturer or "",
                model=f.model or self.m("common.unknown"),
                imei=f.imei or self.m("common.unknown"),
            )
            if f.usb:
                self.ui.say("init.modem.item_usb", usb=f.usb)
        elif f.held_by:
            self.ui.say("init.modem.held", port=f.path, holder=f.held_by)

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
        from pantau.core.sites import PROVINCES, TpsCodeError, province_of, validate_tps_code

        code = "".join(c for c in text if c not in " .-/")
        key: str | None = None
        if len(code) != 13 or not code.isascii() or not code.isdigit():
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
            self.ui.error("init.site.invalid", code=text, reason=str(exc))
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

    # -- collector -------------------------------------------------------------------

    def _collector(self, old: AgentConfig | None) -> tuple[str, str, bool]:
        ui, args = self.ui, self.args
        given = args.collector
        if given is None and old is not None and not ui.interactive:
            given = old.collector.address
        address = ""
        if given is not None:
            address = self._check_address(given) or ""
            if not address and not ui.interactive:
                raise Stop(EXIT_USAGE)
        elif not ui.interactive:
            ui.error("init.missing", flag="--collector")
            raise Stop(EXIT_USAGE)
        default = old.collector.address if old else ""
        while not address:
            answer = ui.ask("init.collector.ask", default=default)
            if answer:
                address = self._check_address(answer) or ""
        ca_file, insecure = self._tls(old, address)
        return address, ca_file, insecure

    def _check_address(self, text: str) -> str | None:
        """``HOST:PORT`` (a bare host gets the default port), or None (already said why)."""
        text = text.strip()
        for prefix in ("grpc://", "https://", "http://"):
            text = text.removeprefix(prefix)
        text = text.rstrip("/")
        if text and ":" not in text and " " not in text:
            address = f"{text}:{DEFAULT_COLLECTOR_PORT}"
            self.ui.say("init.collector.default_port", address=address)
            return address
        host, _, port = text.rpartition(":")
        bad_host = not host or " " in host or (":" in host and not host.startswith("["))
        if bad_host or not port.isdigit() or not 0 < int(port) < 65536:
            self.ui.error("init.collector.bad_address", address=text)
            return None
        return text

    def _tls(self, old: AgentConfig | None, address: str) -> tuple[str, bool]:
        from pantau.core.net import is_loopback

        ui, args = self.ui, self.args
        if args.insecure:
            if not is_loopback(address):
                ui.say("init.tls.insecure_warning")
            return "", True
        ca = args.ca_file
        if (
            ca is None
            and old is not None
            and old.collector.ca_file
            and (not ui.interactive or Path(old.collector.ca_file).exists())
        ):
            ca = old.collector.ca_file
        if ca is None and old is not None and old.collector.insecure:
            return "", True
        if ca is None and is_loopback(address):
            return "", False
        if ca is None and not ui.interactive:
            ui.error("init.tls.missing_ca", address=address)
            raise Stop(EXIT_USAGE)
        while True:
            if ca is None:
                guess = self.config_path.parent / "ca.crt"
                ca = ui.ask("init.tls.ask_ca", default=str(guess) if guess.exists() else "")
                if not ca:
                    ca = None
                    continue
            problem = _ca_problem(Path(ca))
            if problem is None:
                return str(Path(ca).absolute()), False
            ui.error("init.tls.bad_ca", path=ca, reason=problem)
            if not ui.interactive:
                raise Stop(EXIT_USAGE)
            ca = None

    def _reachable(self, address: str) -> bool:
        import socket

        host, _, port = address.rpartition(":")
        self.ui.say("init.collector.checking", address=address)
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=3.0):
                pass
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            self.ui.error("init.collector.unreachable", address=address, reason=reason)
            return False
        self.ui.say("init.collector.reachable", address=address)
        return True

    # -- credential ------------------------------------------------------------------

    def _credential(
        self,
        token: str | None,
        old: AgentConfig | None,
        *,
        site: str,
        address: str,
        ca_file: str,
        insecure: bool,
    ) -> tuple[str, str, str]:
        """(token, agent id, site): the kept credential, or a new one from the code."""
        from agent.setup.files import agent_id_of

        ui, args = self.ui, self.args
        site_changed = old is not None and old.agent.site != site
        if token and not args.re_enroll and not site_changed:
            agent_id = agent_id_of(token)
            ui.say("init.credential.kept", agent_id=agent_id)
            if args.code:
                ui.say("init.credential.code_unused")
            self._reachable(address)  # informative only: the kit may be offline now
            return token, agent_id, site
        if token and site_changed:
            ui.say("init.credential.site_changed", old=old.agent.site if old else "", new=site)
        code = args.code
        while True:
            if not self._reachable(address):
                if not ui.interactive:
                    raise Stop(EXIT_FAILURE)
                answer = ui.ask("init.collector.ask_again", default=address)
                address = self._check_address(answer) or address
                continue
            if code is None:
                if not ui.interactive:
                    ui.error("init.missing", flag="--code")
                    raise Stop(EXIT_USAGE)
                code = ui.ask("init.code.ask")
                if not code:
                    code = None
                    continue
            if not _code_well_formed(code):
                ui.error("init.code.malformed", code=code)
                if not ui.interactive:
                    raise Stop(EXIT_USAGE)
                code = None
                continue
            result = self._enroll(address, code, ca_file, insecure)
            if result is not None:
                new_token, agent_id, enrolled_site = result
                ui.say("init.enroll.ok", agent_id=agent_id, site=enrolled_site)
                if enrolled_site != site:
                    ui.say("init.enroll.other_site", typed=site, site=enrolled_site)
                return new_token, agent_id, enrolled_site
            if not ui.interactive:
                raise Stop(EXIT_FAILURE)
            code = None

    def _enroll(
        self, address: str, code: str, ca_file: str, insecure: bool
    ) -> tuple[str, str, str] | None:
        import asyncio

        import grpc

        from agent.channel import ChannelError
        from agent.enroll import request

        ui = self.ui
        ui.say("init.enroll.sending", address=address)
        try:
            agent_id, site, token = asyncio.run(
                request(address, code, ca_file=ca_file, insecure=insecure,
                        timeout_s=self.args.timeout)
            )  # fmt: skip
        except ChannelError as exc:
            ui.error("init.enroll.channel", reason=str(exc))
            return None
        except grpc.aio.AioRpcError as exc:
            status = exc.code()
            if status == grpc.StatusCode.PERMISSION_DENIED:
                ui.error("init.enroll.rejected", code=code)
            elif status == grpc.StatusCode.INVALID_ARGUMENT:
                ui.error("init.code.malformed", code=code)
            elif status in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE):
                ui.error(
                    "init.enroll.no_answer",
                    address=address,
                    seconds=f"{self.args.timeout:g}",
                    reason=exc.details() or status.name,
                )
            else:
                ui.error("init.enroll.failed", reason=exc.details() or status.name)
            return None
        return token, agent_id, site

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
            ui.error("init.file.config_invalid", error=exc.detail)
            raise Stop(EXIT_FAILURE) from None
        except OSError as exc:
            ui.error("init.file.cannot_write", path=exc.filename or "", reason=exc.strerror or exc)
            raise Stop(EXIT_FAILURE) from None
        ui.say("init.file.written" if changed else "init.file.unchanged", path=self.config_path)

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

    # -- service ---------------------------------------------------------------------

    def _service(self, data_dir: Path) -> None:
        from agent.setup import install

        ui, args = self.ui, self.args
        root: Path = args.root
        real = root == Path("/")
        can = (not real) or (os.geteuid() == 0 and install.systemd_running())
        wanted = args.install_service
        start = args.start
        if wanted is None:
            wanted = can and ui.interactive and ui.confirm("init.service.ask", default=True)
            start = start or wanted  # asked and agreed: run it now too
        executable = install.agent_executable()
        if not can and (wanted or args.install_service is None):
            ui.say("init.service.cannot", reason=self.m(
                "init.service.not_root" if os.geteuid() != 0 else "init.service.no_systemd"
            ))  # fmt: skip
        if not wanted or not can:
            self._manual(executable)
            return
        if install._under_home(executable):
            ui.say("init.service.exe_in_home", exe=executable)
        p = install.plan(
            executable,
            self.config_path,
            data_dir,
            udev=args.udev,
            start=start,
            restart=self.config_changed,
        )
        done = install.Applied()
        if real and not install.user_exists():
            install.run_commands(install.user_commands(), done)
        written = install.write_files(p, root)
        changed = [path.relative_to(root) for path in written.written]
        commands = p.commands(changed)
        for path in written.written:
            ui.say("init.file.written", path=path)
        for path in written.unchanged:
            ui.say("init.file.unchanged", path=path)
        if real:
            if install.user_exists():
                install.own_for_service([data_dir, self.config_path])
            install.run_commands(commands, done)
            for command in done.ran:
                ui.say("init.service.ran", command=command)
            for command, output in done.failed:
                ui.error("init.service.command_failed", command=command, output=output)
            if done.failed:
                raise Stop(EXIT_FAILURE)
            ui.say("init.service.started" if start else "init.service.enabled")
        else:
            for argv in commands:
                ui.say("init.service.would_run", command=" ".join(argv))

    def _manual(self, executable: str) -> None:
        ui = self.ui
        ui.say("init.service.manual")
        sudo = "" if os.geteuid() == 0 else "sudo "
        ui.line(f"  {sudo}{executable} init --config {self.config_path} --install-service --start")
        ui.say("init.service.manual_run")
        ui.line(f"  {executable} run --config {self.config_path}")


def _code_well_formed(code: str) -> bool:
    """10 Crockford base32 characters once separators are dropped (O=0, I/L=1)."""
    text = code.strip().upper().replace("-", "").replace(" ", "")
    text = text.replace("O", "0").replace("I", "1").replace("L", "1")
    return len(text) == 10 and all(c in _CROCKFORD for c in text)


def _ca_problem(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return exc.strerror or str(exc)
    if b"BEGIN CERTIFICATE" not in data:
        return "not a PEM certificate (ca.crt)"
    return None


def _check_config(path: Path) -> None:
    from agent.config import load_agent_config

    load_agent_config(path)
