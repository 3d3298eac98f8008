"""The AT dialects the modem layer knows: one list for the reader, the simulator, the
config file and every command's ``--dialect`` (imports nothing, so a CLI can list the
choices without loading protobuf)."""

from __future__ import annotations

DIALECTS: tuple[str, ...] = ("3gpp", "quectel", "simcom", "huawei", "sierra", "fibocom")
