"""The message catalogues: every key in both languages with the same placeholders, and
every key the code asks for defined (the scan fails on a message missing anywhere)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from agent import i18n
from agent.i18n import CATALOGUES, LANGS, Messages, catalogue, placeholders

AGENT = Path(__file__).resolve().parents[2] / "agent"
#: Key prefixes: one per catalogue module (``check.``, ``init.``, ...).
PREFIXES = tuple(f"{name}." for name in CATALOGUES)
#: Names a Messages object goes by at call sites: ``m(...)``, ``msg(...)``, ``self.m(...)``.
CALL_NAMES = frozenset({"m", "msg", "messages", "_m", "t", "_"})


def _modules() -> list[str]:
    found = []
    for name in CATALOGUES:
        try:
            importlib.import_module(f"agent.messages.{name}")
        except ModuleNotFoundError:
            continue
        found.append(name)
    return found


def test_every_catalogue_module_defines_messages_with_its_own_prefix() -> None:
    for name in _modules():
        module = importlib.import_module(f"agent.messages.{name}")
        assert isinstance(module.MESSAGES, dict) and module.MESSAGES, name
        for key in module.MESSAGES:
            assert key.startswith(f"{name}."), f"{key!r} in agent.messages.{name}"


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    problems = []
    for key, texts in catalogue().items():
        singulars = {f"{lang}_one" for lang in LANGS} & set(texts)
        if set(texts) - singulars != set(LANGS):
            problems.append(f"{key}: languages {sorted(texts)}, expected {sorted(LANGS)}")
            continue
        for variant in singulars:  # "1 reading": the same placeholders, with {n}
            if placeholders(texts[variant]) != placeholders(texts[variant[:2]]):
                problems.append(f"{key}: {variant} placeholders differ")
            if "n" not in placeholders(texts[variant]):
                problems.append(f"{key}: {variant} without {{n}}")
        for lang in LANGS:
            if not isinstance(texts[lang], str) or not texts[lang].strip():
                problems.append(f"{key}: empty {lang!r} text")
        try:
            found = {lang: placeholders(texts[lang]) for lang in LANGS}
        except ValueError as exc:
            problems.append(f"{key}: bad template: {exc}")
            continue
        if found["id"] != found["en"]:
            problems.append(f"{key}: placeholders id={found['id']} en={found['en']}")
    assert not problems, "\n".join(problems)


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def used_keys(root: Path = AGENT) -> dict[str, list[str]]:
    """Literal message keys passed to a Messages call anywhere under ``root``."""
    used: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if "messages" in path.relative_to(root).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if not first.value.startswith(PREFIXES):
                continue
            if _call_name(node) in CALL_NAMES:
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                used.setdefault(first.value, []).append(where)
    return used


def _messages_dicts(root: Path = AGENT) -> dict[str, list[str]]:
    """Literal keys kept in mappings for later lookup (``{"ready": "check.sim.ready"}``)."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if "messages" in path.relative_to(root).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                for value in node.values:
                    if (
                        isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                        and value.value.startswith(PREFIXES)
                        and " " not in value.value
                        and value.value.count(".") >= 2
                    ):
                        where = f"{path.relative_to(root.parent)}:{node.lineno}"
                        found.setdefault(value.value, []).append(where)
    return found


def test_every_key_the_code_uses_exists() -> None:
    defined = catalogue()
    used = used_keys()
    assert any(k.startswith("check.") for k in used)  # the scan does find calls
    missing = {k: w for k, w in {**used, **_messages_dicts()}.items() if k not in defined}
    assert not missing, "\n".join(f"{k} (used at {', '.join(w)})" for k, w in missing.items())


def test_the_scan_catches_a_missing_message(tmp_path: Path) -> None:
    code = tmp_path / "agent" / "tool.py"
    code.parent.mkdir()
    code.write_text('def f(m):\n    return m("check.no.such.message", n=1)\n')
    used = used_keys(tmp_path / "agent")
    assert "check.no.such.message" in used and "check.no.such.message" not in catalogue()


def test_a_message_missing_from_one_language_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = {"check.only.english": {"en": "only English"}}
    monkeypatch.setattr(i18n, "_loaded", {**catalogue(), **broken})
    with pytest.raises(AssertionError, match=r"check\.only\.english: languages"):
        test_every_key_has_both_languages_with_the_same_placeholders()
    with pytest.raises(KeyError):
        Messages("id")("check.only.english")


def test_dynamic_keys_exist_for_every_code_and_grade() -> None:
    """Keys built from codes (reasons, advice, grades) rather than written literally."""
    from agent.tech import check_view, grades, verdict

    defined = catalogue()
    for code in verdict.REASONS:
        assert check_view.reason_key(code) in defined, code
    for code in verdict.ADVICE:
        assert check_view.advice_key(code) in defined, code
    for grade in grades.GRADES:
        assert f"check.grade.{grade}" in defined
    from agent.modem.model import REG_STATES

    for state in REG_STATES:
        assert check_view.reg_key(state) in defined, state


def test_messages_render_in_both_languages() -> None:
    assert Messages("id")("check.verdict.ready") == "SIAP"
    assert Messages("en")("check.verdict.not_ready") == "NOT READY"
    assert Messages("id")("check.verdict.degraded") == "KURANG BAIK"
    assert "BAKTI" in Messages("en")("check.advice.use_satellite")
    assert Messages("en")("check.reason.signal_weak", metric="RSRP", value="-117") == (
        "Weak signal: RSRP -117"
    )


#: Failure texts as Python, pyserial, grpc and the probes word them.
RAW_ERRORS = (
    "[Errno 111] Connection refused",
    "[Errno 13] Permission denied: '/var/lib/pantau/spool.sqlite'",
    "timed out",
    "UNAVAILABLE: failed to connect to all addresses; last error: UNKNOWN",
    "[Errno 2] No such file or directory: '/dev/ttyUSB2'",
    "could not open port /dev/ttyUSB2: [Errno 16] Device or resource busy",
    "[Errno 28] No space left on device",
    "[Errno -3] Temporary failure in name resolution",
    "[Errno 5] Input/output error",
    "[Errno 113] No route to host",
    "UNAUTHENTICATED: unknown or revoked credential",
    "refused",
    "timeout",
    "ValueError: something nobody mapped happened",
)
#: English words that must not appear in Indonesian text (outside the marked technical part).
ENGLISH = re.compile(
    r"\b(connection|refused|errno|permission|denied|timed|failed|failure|unavailable|"
    r"device|resource|busy|space|left|temporary|resolution|input|output|route|host|"
    r"such|directory|unknown|revoked|credential|timeout|something|nobody|happened|the|"
    r"is|not|and|of|to)\b",
    re.IGNORECASE,
)
TECHNICAL_PART = re.compile(r"\[rincian teknis: .*?\]")


def _filled(template: str, **over: object) -> dict[str, object]:
    return {name: over.get(name, "X") for name in placeholders(template)}


def test_indonesian_never_carries_english_exception_words() -> None:
    """Every message with a technical field, rendered in Indonesian with the failure
    texts the system produces: phrases only (or the raw words inside the clearly marked
    technical part); English keeps the raw words."""
    from agent.i18n import TECHNICAL_FIELDS

    id_, en = Messages("id"), Messages("en")
    problems = []
    checked = 0
    for key, texts in catalogue().items():
        fields = placeholders(texts["id"]) & TECHNICAL_FIELDS
        if not fields:
            continue
        for raw in RAW_ERRORS:
            values = _filled(texts["id"], **dict.fromkeys(fields, raw))
            text = id_(key, **values)
            outside = TECHNICAL_PART.sub("", text)
            if raw in outside or ENGLISH.search(outside):
                problems.append(f"{key} with {raw!r}: {text!r}")
            if raw not in en(key, **values):
                problems.append(f"{key} in English lost the raw words {raw!r}")
            checked += 1
    assert checked > 100
    assert not problems, "\n".join(problems[:30])


def test_every_failure_phrase_exists_in_both_languages() -> None:
    from agent import errwords

    for code in errwords.CODES:
        assert f"common.err.{code}" in catalogue(), code
    assert errwords.phrase_code("[Errno 111] Connection refused") == "refused"
    assert errwords.phrase_code("ValueError: odd") == "other"
    assert Messages("id").technical("ValueError: odd") == (
        "gangguan teknis [rincian teknis: ValueError: odd]"
    )


def test_localised_text_in_a_technical_field_is_wrapped() -> None:
    """A call that passes a message (already in the reader's language) as ``error=`` or
    ``reason=`` wraps it in Localized, or it would be read as an English exception."""
    offenders = []
    for path in AGENT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                value = kw.value
                technical = kw.arg in ("error", "reason") and isinstance(value, ast.Call)
                if technical and _call_name(value) in CALL_NAMES:  # type: ignore[arg-type]
                    offenders.append(f"{path.name}:{value.lineno}")
    assert not offenders, offenders


def test_plural_and_numbers() -> None:
    from agent.tech import render

    en, id_ = Messages("en"), Messages("id")
    assert en("survey.summary.errors", n=1) == "1 reading failed"
    assert en("survey.summary.errors", n=2) == "2 readings failed"
    assert id_("survey.summary.errors", n=1) == "1 pembacaan gagal"
    assert render.size(20e6, "id") == "20,0 MB" and render.size(20e6, "en") == "20.0 MB"
    assert render.size(1_234_567_890, "id") == "1.234,6 MB"
    assert render.num(-12.5, lang="id") == "-12,5" and render.num(-85.0, lang="id") == "-85"
    assert render.rate(3.25e6, "id") == "3,2 Mbit/s"
    assert render.duration(200, "id") == "3 menit 20 detik"
    assert render.duration(45, "en") == "45 s" and render.duration(3900, "id") == "1 jam 5 menit"
    assert id_("check.advice.enter_pin").startswith("Buka kunci PIN")
    assert "pastikan kolektor menyala" in id_("check.advice.check_collector_address")
    assert id_("check.reason.registration_denied", operator="tidak diketahui") == (
        "Jaringan seluler menolak mendaftarkan kartu SIM ini (operator: tidak diketahui)"
    )
    assert id_("status.spool", n=0, size="0 B") == "0 catatan data (0 B)"
    # A fraction handed to a message reads with a decimal comma in Indonesian.
    low = {"mbps": 0.35, "need_mbps": 3.0}
    assert id_("check.reason.throughput_low", **low).startswith(
        "Kecepatan unggah 0,35 Mbit/s di bawah kebutuhan foto hasil (3 Mbit/s;"
    )
    assert en("check.reason.throughput_low", **low).startswith(
        "Upload speed 0.35 Mbit/s is under what the result photos need (3.0 Mbit/s;"
    )
    budget = id_("check.reason.budget_spent", mb=20.5)
    assert budget.startswith("Kuota data harian kit sudah habis (20,5 MB")
