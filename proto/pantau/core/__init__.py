"""Pantau's shared domain: what the kit and the collector both mean by a term.

TPS codes and provinces (:mod:`.sites`), mobile operators by MCC-MNC
(:mod:`.operators`), typed TOML settings (:mod:`.tomlconfig`), loopback detection
(:mod:`.net`) and the root error (:mod:`.errors`). Standard library only: this
package is imported by the agent on a Raspberry Pi and by the collector, and it
imports neither.
"""
