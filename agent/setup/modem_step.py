"""``init`` step 1, the modem: scan the serial ports, probe them with AT, show model
and IMEI, pick one (or take ``--modem``; ``none`` for a kit without one). When the scan
finds several modems (a modem per operator) all of them are written as ``[[modems]]``
(:mod:`agent.setup.modems_plan`), unattended at once, interactively when the
technician agrees; ``--modem PORT`` still makes a one-modem kit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.setup.context import EXIT_FAILURE, StepContext, Stop
from pantau.core.operators import operator_label

if TYPE_CHECKING:
    from agent.config import AgentConfig
    from agent.setup.ports import FoundPort


class ModemStep(StepContext):
    def _modem(self, old: AgentConfig | None) -> tuple[str, str, str]:
        """The modem's port and dialect, or the ``[[modems]]`` text of a kit with several
        (then the port is empty)."""
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
            return "", dialect, ""
        if wanted and wanted.lower() != "auto":
            found = ports.probe(wanted)
            self._show_port(0, found)
            if not found.is_modem:
                ui.say("init.modem.no_answer", port=wanted)
                if ui.interactive and not ui.confirm("init.modem.use_anyway", default=True):
                    port, modems_text = self._choose_modem(old, dialect)
                    return port, dialect, modems_text
            return wanted, dialect, ""
        if not ui.interactive:
            ui.say("init.modem.scanning")
            found_all = ports.scan(args.scan)
            self._show_found(found_all)
            modems = [f for f in found_all if f.is_modem]
            if not modems:
                ui.error("init.modem.none_unattended")
                raise Stop(EXIT_FAILURE)
            if len(modems) > 1:
                return "", dialect, self._several(modems)
            ui.say("init.modem.chosen", port=modems[0].config_port)
            return modems[0].config_port, dialect, ""
        port, modems_text = self._choose_modem(old, dialect)
        return port, dialect, modems_text

    def _several(self, modems: list[FoundPort]) -> str:
        """``[[modems]]`` for every modem found (a modem per operator), shown as written."""
        from agent.setup.files import modems_toml
        from agent.setup.modems_plan import network_of, plan

        dialect = self.args.dialect or "auto"
        planned = plan(modems, dialect)
        self.ui.say("init.modem.several", n=len(planned))
        for found, modem in zip(modems, planned, strict=True):
            network = network_of(found)
            self.ui.say(
                "init.modem.several_item",
                name=modem.name,
                operator=(operator_label(network or None) or self.m("common.unknown"))
                + (f" ({network})" if network else ""),
                port=modem.port,
                interface=modem.interface or "-",
            )
        return modems_toml(planned)

    def _choose_modem(self, old: AgentConfig | None, dialect: str) -> tuple[str, str]:
        """The port chosen, or ``("", [[modems]] text)`` for all of several."""
        from agent.setup import ports

        ui = self.ui
        current = old.modem.port if old else ""
        while True:
            ui.say("init.modem.scanning")
            found = ports.scan(self.args.scan)
            modems = [f for f in found if f.is_modem]
            self._show_found(found)
            if len(modems) > 1 and ui.confirm("init.modem.use_all", n=len(modems)):
                return "", self._several(modems)
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
                return "", ""
            if answer.isdigit() and modems and 1 <= int(answer) <= len(modems):
                chosen = modems[int(answer) - 1]
                ui.say("init.modem.chosen", port=chosen.config_port)
                return chosen.config_port, ""
            if answer.isdigit() or not answer:
                if modems:
                    ui.say("init.modem.bad_choice", n=len(modems))
                continue  # scan again
            probe = ports.probe(answer)
            self._show_port(0, probe)
            if probe.is_modem or ui.confirm("init.modem.use_anyway", default=False):
                ui.say("init.modem.chosen", port=answer)
                return answer, ""

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
