"""The agent's exception tree: one root, and the modem's errors say whose fault it was."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import agent
from agent.errors import AgentError
from agent.i18n import MessageError
from agent.modem.engine import FinalKind, parse_final
from agent.modem.errors import (
    LocalProtocolError,
    ModemError,
    ProtocolError,
    RemoteProtocolError,
)
from agent.modem.fields import ParseError, split_fields
from pantau.core import errors as core_errors

#: Not AgentErrors on purpose (each says why in its docstring).
_OUTSIDE_THE_TREE = {MessageError}


def _agent_exception_classes() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(agent.__path__, "agent."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == info.name:
                found.append(obj)
    return found


def test_every_agent_error_class_derives_from_agent_error() -> None:
    classes = _agent_exception_classes()
    assert ModemError in classes and ParseError in classes  # the walk saw the modem
    strays = [c for c in classes if not issubclass(c, AgentError) and c not in _OUTSIDE_THE_TREE]
    assert strays == []


def test_parse_error_is_the_modems_fault_and_still_a_value_error() -> None:
    with pytest.raises(RemoteProtocolError) as info:
        split_fields("+CREG: 0,1", "+CSQ:")
    assert isinstance(info.value, ParseError)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, ModemError)


def test_the_modem_protocol_pair_is_its_own() -> None:
    assert issubclass(LocalProtocolError, ProtocolError)
    assert issubclass(RemoteProtocolError, ProtocolError)
    assert not issubclass(LocalProtocolError, RemoteProtocolError)
    # The core pair means the pantau.v1 wire contract: a modem fault is not one.
    assert not issubclass(RemoteProtocolError, core_errors.ProtocolError)
    assert not issubclass(LocalProtocolError, core_errors.ProtocolError)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("OK", FinalKind.OK),
        ("ERROR", FinalKind.ERROR),
        ("+CME ERROR: 14", FinalKind.CME),
        ("+cms error: 500", FinalKind.CMS),
        ("NO DIAL TONE", FinalKind.NO_DIALTONE),
    ],
)
def test_final_kind_is_an_enum_that_still_reads_as_text(line: str, kind: FinalKind) -> None:
    final = parse_final(line)
    assert final is not None
    assert final.kind is kind
    assert final.kind == kind.value  # a StrEnum: string comparisons and logs keep working
    assert f"{final.kind}" == kind.value
