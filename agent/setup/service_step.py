"""``init`` step 6, the service: the systemd unit, the udev rule and bounded logs
(:mod:`agent.setup.install`) as root on a systemd host; otherwise the commands to run."""

from __future__ import annotations

import os
from pathlib import Path

from agent.i18n import Localized
from agent.setup.context import EXIT_FAILURE, StepContext, Stop


class ServiceStep(StepContext):
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
            ui.say("init.service.cannot", reason=Localized(self.m(
                "init.service.not_root" if os.geteuid() != 0 else "init.service.no_systemd"
            )))  # fmt: skip
        if not wanted or not can:
            self._manual(executable)
            if args.install_service and not can:
                # Asked for by flag and not done: the kit would not run after a reboot.
                ui.error("init.service.not_installed")
                raise Stop(EXIT_FAILURE)
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
            if start:
                state = install.service_state()
                if state != "active":
                    ui.error("init.service.not_running", state=state)
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
