"""Throwaway test networks made of Linux network namespaces (root only).

Everything lives inside namespaces this module creates, named ``pt-<pid>-<n>-<role>``;
addresses come from 10.250.0.0/16 and exist only inside them, so no test packet leaves the
machine. Use it as a context manager (or the ``netlab`` fixture in ``tests/conftest.py``)::

    with NetLab() as lab:
        path = lab.chain("client", "router", "server")   # routed, ip_forward on the router
        lab.tbf(path.namespaces[1], path.links[1].a_dev, rate_bit=2_000_000)
        lab.random_drop(path.server, percent=20)          # nftables, ICMP only
        link = lab.emulate(path.namespaces[1], delay_ms=40, jitter_ms=10)
        path.client.run("ping", "-c", "3", path.server_ip)
        result = path.client.call(some_function, arg)    # in a thread inside the namespace

Closing the lab stops the processes it started (by pid) and deletes its namespaces, which
takes their veth and TUN devices with them. :func:`cleanup_leftovers` deletes namespaces
left by crashed runs (same prefix, owning pid gone). :func:`netns_unavailable` says why
namespaces cannot be used here (not root, no ``ip``, ...), for a visible skip reason.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from agent.tech.status import pid_alive

PREFIX = "pt-"
SUBNET_BASE = "10.250"  # link n gets 10.250.n.0/30 (.1 on side a, .2 on side b)
NETNS_DIR = Path("/run/netns")
REPO = Path(__file__).resolve().parent.parent
_CLONE_NEWNET = 0x40000000
_counter = itertools.count(1)
_NAME = re.compile(rf"^{re.escape(PREFIX)}(\d+)-")

T = TypeVar("T")


class NetLabError(RuntimeError):
    """A command building the test network failed; the message has the command and stderr."""


@functools.cache
def netns_unavailable() -> str | None:
    """Why namespace tests cannot run here, or None when they can."""
    if os.geteuid() != 0:
        return "needs root: network namespaces, veth, tc, nftables"
    missing = [tool for tool in ("ip", "tc", "nft") if shutil.which(tool) is None]
    if missing:
        return f"needs {', '.join(missing)} (Debian: iproute2, nftables)"
    name = f"{PREFIX}{os.getpid()}-0-check"
    done = subprocess.run(["ip", "netns", "add", name], check=False, capture_output=True, text=True)
    if done.returncode != 0:
        return f"'ip netns add' failed: {done.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
    return None


def _run(argv: Sequence[str], *, timeout_s: float = 20.0) -> str:
    done = subprocess.run(
        list(argv), check=False, capture_output=True, text=True, timeout=timeout_s
    )
    if done.returncode != 0:
        raise NetLabError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def cleanup_leftovers(prefix: str = PREFIX) -> list[str]:
    """Delete ``prefix`` namespaces whose creating process is gone; returns their names."""
    if not NETNS_DIR.is_dir():
        return []
    removed = []
    for entry in sorted(NETNS_DIR.iterdir()):
        match = _NAME.match(entry.name)
        if not entry.name.startswith(prefix) or match is None:
            continue
        if int(match.group(1)) == os.getpid() or pid_alive(int(match.group(1))):
            continue
        subprocess.run(["ip", "netns", "del", entry.name], capture_output=True, check=False)
        removed.append(entry.name)
    return removed


_libc = ctypes.CDLL(None, use_errno=True)


def enter(ns: Namespace) -> None:
    """Move the *calling thread* into ``ns`` (setns); its new sockets belong to ``ns``.

    Only for threads the lab started (inside :meth:`Namespace.call`), never the main one.
    ``/proc/self/net`` still shows the process's namespace (scapy reads it: use a subprocess).
    """
    if threading.current_thread() is threading.main_thread():
        raise NetLabError("enter() would move the main thread; use Namespace.call()")
    fd = os.open(NETNS_DIR / ns.name, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, _CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"setns({ns.name}): {os.strerror(errno)}")
    finally:
        os.close(fd)


#: The links' MTU (veth's default): the most one retransmitted segment adds to a link.
MTU = 1500


@dataclass(frozen=True)
class Namespace:
    """A network namespace of a lab; ``role`` is its short name (client, router, ...)."""

    name: str
    role: str

    def argv(self, *command: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *command]

    def run(
        self, *command: str, timeout_s: float = 30.0, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside the namespace and capture its output."""
        done = subprocess.run(
            self.argv(*command),
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            cwd=REPO,
        )
        if check and done.returncode != 0:
            raise NetLabError(
                f"in {self.name}: {' '.join(command)} failed ({done.returncode}): "
                f"{done.stderr.strip() or done.stdout.strip()}"
            )
        return done

    def ip(self, *args: str) -> str:
        return _run(["ip", "-n", self.name, *args])

    def link_bytes(self, dev: str) -> int:
        """IP-level bytes through ``dev`` so far, both directions (Ethernet headers removed)."""
        stats = json.loads(self.ip("-s", "-j", "link", "show", "dev", dev))[0]["stats64"]
        rx, tx = stats["rx"], stats["tx"]
        return int(rx["bytes"] + tx["bytes"] - 14 * (rx["packets"] + tx["packets"]))

    def tcp_retransmitted_segments(self) -> int:
        """TCP segments the namespace's sockets have retransmitted so far (``RetransSegs``
        of ``/proc/net/snmp``, read from inside the namespace: the counters are per
        namespace)."""
        lines = [line.split() for line in self.run("cat", "/proc/net/snmp").stdout.splitlines()]
        names, values = (line[1:] for line in lines if line[:1] == ["Tcp:"])
        return int(values[names.index("RetransSegs")])

    def sysctl(self, key: str, value: str) -> None:
        self.run("sysctl", "-q", "-w", f"{key}={value}")

    def call(self, fn: Callable[..., T], *args: Any, timeout_s: float = 60.0) -> T:
        """Call ``fn(*args)`` in a new thread that has entered this namespace (setns).

        Sockets the function opens belong to the namespace. Exceptions propagate; the call
        must finish within ``timeout_s``.
        """
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                enter(self)
                box["result"] = fn(*args)
            except BaseException as err:  # handed to the caller's thread
                box["error"] = err

        thread = threading.Thread(target=target, name=f"netns-{self.role}", daemon=True)
        thread.start()
        thread.join(timeout_s)
        if thread.is_alive():
            raise TimeoutError(f"{fn.__name__} in {self.name} did not finish in {timeout_s} s")
        if "error" in box:
            raise box["error"]
        result: T = box["result"]
        return result


@dataclass(frozen=True)
class Link:
    """A veth pair between two namespaces: ``a_dev``/``a_ip`` in ``a``, ``b_dev``/``b_ip``."""

    a: Namespace
    a_dev: str
    a_ip: str
    b: Namespace
    b_dev: str
    b_ip: str
    subnet: str  # e.g. 10.250.3.0/30


@dataclass(frozen=True)
class Chain:
    """A routed chain of namespaces: ``namespaces[0]`` is the client, the last the server."""

    namespaces: tuple[Namespace, ...]
    links: tuple[Link, ...]  # links[i] joins namespaces[i] (a) and namespaces[i + 1] (b)

    @property
    def client(self) -> Namespace:
        return self.namespaces[0]

    @property
    def server(self) -> Namespace:
        return self.namespaces[-1]

    @property
    def server_ip(self) -> str:
        return self.links[-1].b_ip

    @property
    def client_ip(self) -> str:
        return self.links[0].a_ip

    @property
    def hop_ips(self) -> tuple[str, ...]:
        """What a traceroute from the client should list: each hop's client-side address."""
        return tuple(link.b_ip for link in self.links)


@dataclass
class EmulatedLink:
    """A running link emulator (agent.sim.link_cli) in a router namespace."""

    router: Namespace
    process: subprocess.Popen[str]
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    stopped: bool = False

    def stop(self, timeout_s: float = 5.0) -> dict[str, dict[str, int]]:
        """Stop the emulator (SIGTERM, by pid) and return its per-direction counters."""
        if self.stopped:
            return self.stats
        self.stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            out, _ = self.process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate(timeout=timeout_s)
        lines = [line for line in (out or "").splitlines() if line.startswith("{")]
        if lines:
            self.stats = json.loads(lines[-1])
        return self.stats


class NetLab:
    """Builds namespaces, links, routes, shapers, firewalls; tears everything down on close."""

    def __init__(self) -> None:
        reason = netns_unavailable()
        if reason is not None:
            raise NetLabError(reason)
        self.id = f"{PREFIX}{os.getpid()}-{next(_counter)}"
        self.namespaces: list[Namespace] = []
        self._links = itertools.count(1)
        self._processes: list[subprocess.Popen[str]] = []
        self._emulators: list[EmulatedLink] = []

    def __enter__(self) -> NetLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop what the lab started and delete its namespaces (never raises)."""
        for emulator in self._emulators:
            emulator.stop()
        for process in self._processes:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=5)  # reaps it and closes its pipes
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns.name], capture_output=True, check=False)
        self.namespaces.clear()

    def stop_emulators(self) -> list[dict[str, dict[str, int]]]:
        """Stop every link emulator of the lab; their counters, in the order started."""
        return [emulator.stop() for emulator in self._emulators]

    def namespace(self, role: str) -> Namespace:
        """A new namespace with ``lo`` up."""
        ns = Namespace(f"{self.id}-{role}", role)
        _run(["ip", "netns", "add", ns.name])
        self.namespaces.append(ns)
        ns.ip("link", "set", "lo", "up")
        return ns

    def connect(self, a: Namespace, b: Namespace) -> Link:
        """A veth pair between ``a`` and ``b`` with a /30 of its own, both ends up.

        GSO is off (``gso_max_segs 1``): veth would otherwise carry 64 kB super-packets from
        host to host, which a shaper on a router splits and mostly drops at once (250 drops
        and bursty delivery for a 256 kB transfer at 2 Mbit/s); a radio link carries MTUs.
        """
        n = next(self._links)
        if n > 255:
            raise NetLabError("a lab holds at most 255 links")
        a_dev, b_dev = f"v{n}-{b.role}"[:15], f"v{n}-{a.role}"[:15]
        veth = ["type", "veth", "peer", "name"]
        _run(["ip", "link", "add", "name", a_dev, "netns", a.name, *veth, b_dev, "netns", b.name])
        subnet = f"{SUBNET_BASE}.{n}"
        link = Link(a, a_dev, f"{subnet}.1", b, b_dev, f"{subnet}.2", f"{subnet}.0/30")
        for ns, dev, ip in ((a, a_dev, link.a_ip), (b, b_dev, link.b_ip)):
            ns.ip("addr", "add", f"{ip}/30", "dev", dev)
            ns.ip("link", "set", dev, "gso_max_segs", "1", "up")
        return link

    def chain(self, *roles: str) -> Chain:
        """Namespaces in a line, each linked to the next, with routes end to end.

        Every namespace routes subnets beyond its neighbours through the next hop on that
        side; the ones in the middle forward (``ip_forward=1``).
        """
        if len(roles) < 2:
            raise NetLabError("a chain needs at least two namespaces")
        namespaces = tuple(self.namespace(role) for role in roles)
        links = tuple(self.connect(a, b) for a, b in itertools.pairwise(namespaces))
        for index, ns in enumerate(namespaces):
            if 0 < index < len(namespaces) - 1:
                ns.sysctl("net.ipv4.ip_forward", "1")
            for far, link in enumerate(links):
                if far > index:  # beyond the next namespace: through links[index]
                    ns.ip("route", "add", link.subnet, "via", links[index].b_ip)
                elif far < index - 1:  # beyond the previous one: through links[index - 1]
                    ns.ip("route", "add", link.subnet, "via", links[index - 1].a_ip)
        return Chain(namespaces, links)

    def tbf(
        self,
        ns: Namespace,
        dev: str,
        rate_bit: int,
        *,
        burst_bytes: int | None = None,
        latency_ms: float = 100.0,
    ) -> None:
        """Shape ``dev``'s egress with a token bucket: ``rate_bit`` bit/s.

        The default burst is 5 ms at the rate, at least four full frames: a bigger bucket
        refills during any TCP stall and inflates a short measurement (16 kB on 2 Mbit/s
        made a 1 s transfer read 10% fast). ``latency_ms`` bounds the queue (a cellular link
        buffers generously; a short queue makes TCP stall on drops).
        """
        burst = burst_bytes or max(rate_bit // 8 // 200, 4 * 1514)
        tbf = f"root tbf rate {rate_bit}bit burst {burst}b latency {latency_ms:g}ms".split()
        ns.run("tc", "qdisc", "replace", "dev", dev, *tbf)

    def random_drop(
        self, ns: Namespace, percent: int, *, hook: str = "input", match: str = "meta l4proto icmp"
    ) -> None:
        """Drop ``percent``% of the packets matching ``match`` at ``hook`` (nftables)."""
        if not 0 <= percent <= 100:
            raise NetLabError(f"percent must be 0..100, got {percent}")
        rules = (
            "table inet pantau_test {\n"
            f"  chain drop_{hook} {{ type filter hook {hook} priority 0; policy accept;\n"
            f"    {match} numgen random mod 100 < {percent} counter drop\n"
            "  }\n}\n"
        )
        done = subprocess.run(
            ns.argv("nft", "-f", "-"),
            input=rules,
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if done.returncode != 0:
            raise NetLabError(f"in {ns.name}: nft -f failed: {done.stderr.strip()}")

    def dropped_packets(self, ns: Namespace, hook: str = "input") -> int:
        """How many packets :meth:`random_drop` has dropped so far at ``hook``."""
        out = ns.run("nft", "-j", "list", "chain", "inet", "pantau_test", f"drop_{hook}").stdout
        for item in json.loads(out)["nftables"]:
            for expr in item.get("rule", {}).get("expr", []):
                if "counter" in expr:
                    return int(expr["counter"]["packets"])
        return 0

    def popen(self, ns: Namespace, *command: str) -> subprocess.Popen[str]:
        """Start a background command in ``ns``; the lab kills it (by pid) on close."""
        process = subprocess.Popen(
            ns.argv(*command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self._processes.append(process)
        return process

    def emulate(
        self,
        router: Namespace,
        *,
        client_dev: str,
        server_dev: str,
        args: Sequence[str] = (),
        max_runtime_s: float = 120.0,
        ready_timeout_s: float = 10.0,
    ) -> EmulatedLink:
        """Put the userspace link emulator between ``client_dev`` and ``server_dev``.

        Creates TUN devices ``lk-up``/``lk-dn`` in ``router``, policy-routes everything that
        arrives on ``client_dev`` into ``lk-up`` and everything from ``server_dev`` into
        ``lk-dn``, and starts ``python -m agent.sim.link_cli`` with ``args`` (e.g.
        ``["--delay-ms", "40"]``). Returns once the emulator says ``ready``.
        """
        for key in ("all", "default", client_dev, server_dev):
            router.sysctl(f"net.ipv4.conf.{key}.rp_filter", "0")
        for table, (dev, tun) in enumerate(((client_dev, "lk-up"), (server_dev, "lk-dn")), 101):
            router.ip("tuntap", "add", "dev", tun, "mode", "tun")
            router.sysctl(f"net.ipv6.conf.{tun}.disable_ipv6", "1")
            router.sysctl(f"net.ipv4.conf.{tun}.rp_filter", "0")
            router.ip("link", "set", tun, "up")
            router.ip("route", "add", "default", "dev", tun, "table", str(table))
            router.ip("rule", "add", "iif", dev, "lookup", str(table), "pref", str(table))
        options = f"--up-dev lk-up --down-dev lk-dn --max-runtime-s {max_runtime_s:g}".split()
        command = [sys.executable, "-m", "agent.sim.link_cli", *options, "--exit-with-parent"]
        process = subprocess.Popen(
            router.argv(*command, *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        emulator = EmulatedLink(router, process)
        self._emulators.append(emulator)
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], ready_timeout_s)
        line = process.stdout.readline() if ready else ""  # "ready", or EOF when it failed
        if line.strip() == "ready":
            return emulator
        emulator.stop()
        stderr = process.stderr.read() if process.stderr else ""
        raise NetLabError(
            f"link emulator did not start within {ready_timeout_s:g} s: {stderr.strip()}"
        )
