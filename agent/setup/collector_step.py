"""``init`` steps 3 and 4, the collector and the credential: ``HOST:PORT`` checked
(a bare host gets the default port), whether it answers (a short TCP connect), TLS (the
deployment's ``ca.crt`` or ``--insecure``), then the enrollment code traded for the
kit's credential (:mod:`agent.enroll`), or the existing credential kept."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from agent.i18n import Localized
from agent.setup.context import EXIT_FAILURE, EXIT_USAGE, StepContext, Stop

if TYPE_CHECKING:
    from agent.config import AgentConfig

DEFAULT_COLLECTOR_PORT = 7600
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class CollectorStep(StepContext):
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

    def _upload_test(self, old: AgentConfig | None) -> bool:
        """Whether ``check`` runs its bounded speed test (``[check] upload_test``): the
        flag, else asked (the existing config's choice, or yes, by default), else unattended
        the existing config's choice or yes."""
        ui, flag = self.ui, self.args.upload_test
        default = old.check.upload_test if old is not None else True
        if flag is None:
            flag = ui.confirm("init.upload.ask", default=default) if ui.interactive else default
        ui.say("init.upload.on" if flag else "init.upload.off")
        return bool(flag)

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
            reason = Localized(self.m(f"common.file.{problem.replace('-', '_')}"))
            ui.error("init.tls.bad_ca", path=ca, reason=reason)
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

    def _hello(
        self, token: str, agent_id: str, site: str, *, address: str, ca_file: str, insecure: bool
    ) -> None:
        """The kept credential proven as ``check`` proves it: Hello -> Welcome. A refusal
        stops ``init`` (the kit could send nothing); no answer is only said (the kit may
        be offline now)."""
        import asyncio

        from agent.tech.check import CheckOptions
        from agent.tech.check_collector import hello

        ui = self.ui
        ui.say("init.collector.checking", address=address)
        options = CheckOptions(
            collector=address,
            ca_file=ca_file,
            insecure=insecure,
            credential=token,
            agent_id=agent_id,
            site=site,
            collector_timeout_s=min(10.0, self.args.timeout),
        )
        section = asyncio.run(hello(options))
        if section.status == "ok":
            ui.say("init.credential.accepted", address=address, agent_id=agent_id)
        elif section.status == "rejected":
            ui.error("init.credential.refused", address=address, agent_id=agent_id)
            raise Stop(EXIT_FAILURE)
        else:
            ui.error("init.collector.no_hello", address=address)

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
            self._hello(token, agent_id, site, address=address, ca_file=ca_file, insecure=insecure)
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


def _code_well_formed(code: str) -> bool:
    """10 Crockford base32 characters once separators are dropped (O=0, I/L=1)."""
    text = code.strip().upper().replace("-", "").replace(" ", "")
    text = text.replace("O", "0").replace("I", "1").replace("L", "1")
    return len(text) == 10 and all(c in _CROCKFORD for c in text)


def _ca_problem(path: Path) -> str | None:
    """The problem's code (agent.kitfiles: missing, not-pem, ...), or None."""
    from agent.kitfiles import file_problem

    return file_problem(path, pem=True)
