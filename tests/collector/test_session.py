"""The stream session alone: messages in, answers and trusted records out (no gRPC, no
store, no clock: the time is an argument)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from collector import auth
from collector.batches import BatchRejected
from collector.refusals import KitRefused, MalformedMessage, Refusal, Status
from collector.session import (
    Ack,
    Acked,
    Commit,
    HelloAccepted,
    StreamSession,
    TrustedRecord,
    Welcome,
    read_credential,
    store_unavailable,
)
from collector.store.model import Agent, BatchOutcome
from pantau.core.errors import LocalProtocolError, RemoteProtocolError
from pantau.v1 import records_pb2, telemetry_pb2

SITE = "3171011001005"
SECRET = "s3cret"
S = 1_000_000_000
HELLO_NS = 1_700_000_000 * S  # when the collector received the Hello
HELLO_MONO = 5_000 * S  # the kit's monotonic clock at its Hello


def agent(*, acked_through: int = 0, revoked: bool = False) -> Agent:
    return Agent("kit-1", SITE, auth.hash_secret(SECRET), revoked, acked_through)


def record(
    seq: int, *, mono: int = HELLO_MONO - 60 * S, boot: str = "boot-a", synced: bool = False
) -> records_pb2.Record:
    r = records_pb2.Record(
        seq=seq,
        time=records_pb2.RecordTime(
            wall_unix_ns=7, monotonic_ns=mono, boot_id=boot, clock_synced=synced
        ),
    )
    r.signal.rsrp_dbm = -95.0
    return r


def hello(
    agent_id: str = "kit-1", site: str = SITE, boot: str = "boot-a"
) -> telemetry_pb2.AgentMessage:
    sent_at = records_pb2.RecordTime(wall_unix_ns=7, monotonic_ns=HELLO_MONO, boot_id=boot)
    return telemetry_pb2.AgentMessage(
        hello=telemetry_pb2.Hello(agent_id=agent_id, claimed_site=site, sent_at=sent_at)
    )


def batch(*records: records_pb2.Record) -> telemetry_pb2.AgentMessage:
    return telemetry_pb2.AgentMessage(batch=telemetry_pb2.Batch(records=records))


def snapshot(*records: records_pb2.Record) -> telemetry_pb2.AgentMessage:
    return telemetry_pb2.AgentMessage(snapshot=telemetry_pb2.Snapshot(records=records))


def no_body(seq: int) -> records_pb2.Record:
    return records_pb2.Record(seq=seq, time=record(seq).time)


def no_time(seq: int) -> records_pb2.Record:
    r = records_pb2.Record(seq=seq)
    r.signal.rsrp_dbm = -95.0
    return r


def opened(
    a: Agent | None = None, stored_anchors: dict[str, tuple[int, int]] | None = None
) -> tuple[StreamSession, Welcome]:
    session = StreamSession(a or agent())
    assert session.hello(hello(), HELLO_NS) == HelloAccepted("kit-1", "cellular")
    return session, session.welcome(stored_anchors or {}, HELLO_NS + 1000)


def play(messages: Sequence[telemetry_pb2.AgentMessage]) -> list[object]:
    """Feed messages as the servicer does (Hello, anchors, then the rest), each batch
    committed as all new; the answers, ending with the refusal if there is one."""
    session = StreamSession(agent())
    out: list[object] = []
    try:
        for n, message in enumerate(messages):
            now = HELLO_NS + n * S
            if n == 0:
                out.append(session.hello(message, now))
                out.append(session.welcome({}, now))
                continue
            commit = session.receive(message, now)
            top = max((r.seq for r in commit.batch.rows), default=session.acked_through)
            stored = BatchOutcome(len(commit.batch.rows), 0, top)
            out.append(session.committed(commit, stored))
    except KitRefused as refused:
        out.append(refused.refusal)
    return out


WELCOME = Welcome("kit-1", SITE, 0, HELLO_NS, HELLO_NS)
OPENED = [HelloAccepted("kit-1", "cellular"), WELCOME]  # the answers to a good Hello


def acked(seq: int, n: int, *trusted: int) -> Acked:
    """The answer to the n-th message, a batch of one record ``seq``, anchored."""
    event = [TrustedRecord(HELLO_NS - 60 * S, record(s)) for s in trusted]
    return Acked(Ack(seq, 1, 0), HELLO_NS + n * S, tuple(event))


FIRST_HELLO = "the first message on a stream must be Hello"
NO_CREDENTIAL = "no credential: send 'authorization: Bearer <credential>' (enroll the kit first)"
MALFORMED = "credential is not of the form <agent_id>.<secret>"
UNKNOWN = Refusal(Status.UNAUTHENTICATED, "unknown agent or wrong credential")
REVOKED = Refusal(Status.PERMISSION_DENIED, "agent kit-1 has been revoked")
SCRIPTS: dict[str, tuple[list[telemetry_pb2.AgentMessage], list[object]]] = {
    "hello, batch, batch": (
        [hello(), batch(record(1)), batch(record(2))],
        [*OPENED, acked(1, 1, 1), acked(2, 2, 2)],
    ),
    "batch before hello": (
        [batch(record(1))],
        [Refusal(Status.FAILED_PRECONDITION, FIRST_HELLO)],
    ),
    "snapshot before hello": (
        [snapshot(record(1))],
        [Refusal(Status.FAILED_PRECONDITION, FIRST_HELLO)],
    ),
    "a second hello": (
        [hello(), hello()],
        [
            *OPENED,
            Refusal(Status.FAILED_PRECONDITION, "Hello may be sent only once per stream"),
        ],
    ),
    "hello naming another agent": (
        [hello(agent_id="kit-2")],
        [
            Refusal(
                Status.PERMISSION_DENIED,
                "Hello names agent 'kit-2' but the credential is 'kit-1'",
            )
        ],
    ),
    "hello claiming another site": (
        [hello(site="3171011001006")],
        [
            Refusal(
                Status.PERMISSION_DENIED,
                f"this credential is enrolled for site {SITE}, not '3171011001006': "
                "enroll this kit for its own site",
            )
        ],
    ),
    "an empty batch": (
        [hello(), batch()],
        [
            *OPENED,
            Refusal(Status.INVALID_ARGUMENT, "empty batch: a Batch must carry at least one record"),
        ],
    ),
    "seqs not increasing": (
        [hello(), batch(record(2), record(2))],
        [
            *OPENED,
            Refusal(
                Status.INVALID_ARGUMENT,
                "record #1: seq 2 is not greater than the previous (2); "
                "seqs start at 1 and strictly increase",
            ),
        ],
    ),
    "a record with no body": (
        [hello(), batch(no_body(1))],
        [
            *OPENED,
            Refusal(Status.INVALID_ARGUMENT, "record #0 (seq 1) has no body"),
        ],
    ),
    "a record with no time": (
        [hello(), batch(record(1), no_time(2))],
        [
            *OPENED,
            Refusal(Status.INVALID_ARGUMENT, "record #1 (seq 2) has no time or boot_id"),
        ],
    ),
    "a good batch after a bad one is not taken": (
        [hello(), batch(), batch(record(1))],
        [
            *OPENED,
            Refusal(Status.INVALID_ARGUMENT, "empty batch: a Batch must carry at least one record"),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_scripts(name: str) -> None:
    messages, expected = SCRIPTS[name]
    assert play(messages) == expected


def test_hello_is_answered_with_where_the_kit_resumes() -> None:
    session, welcome = opened(agent(acked_through=41))
    assert welcome == Welcome(
        agent_id="kit-1",
        site_code=SITE,
        acked_through_seq=41,
        hello_received_unix_ns=HELLO_NS,
        welcome_sent_unix_ns=HELLO_NS + 1000,
        max_batch_bytes=256 * 1024,
        max_batches_in_flight=4,
        collector_version="0.1.0",
    )
    assert session.acked_through == 41


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", NO_CREDENTIAL),
        ("Basic a:b", NO_CREDENTIAL),
        ("Bearer ", NO_CREDENTIAL),
        ("Bearer nodot", MALFORMED),
        ("Bearer bad id.x", MALFORMED),
    ],
)
def test_a_missing_or_malformed_credential_is_unauthenticated(header: str, message: str) -> None:
    with pytest.raises(KitRefused) as info:
        read_credential(header)
    assert info.value.refusal == Refusal(Status.UNAUTHENTICATED, message)
    assert isinstance(info.value, RemoteProtocolError)


@pytest.mark.parametrize(
    ("token", "stored", "expected"),
    [
        ("kit-1.wrong", agent(), UNKNOWN),
        (f"kit-1.{SECRET}", None, UNKNOWN),
        (f"kit-1.{SECRET}", agent(revoked=True), REVOKED),
    ],
)
def test_admission(token: str, stored: Agent | None, expected: Refusal) -> None:
    credential = read_credential(f"Bearer {token}")
    with pytest.raises(KitRefused) as info:
        StreamSession.admit(credential, stored)
    assert info.value.refusal == expected


def test_a_good_credential_is_admitted() -> None:
    session = StreamSession.admit(read_credential(f"bearer kit-1.{SECRET}"), agent())
    assert session.agent == agent()


def test_garbage_and_a_full_store_have_their_own_answers() -> None:
    assert MalformedMessage().refusal == Refusal(
        Status.INVALID_ARGUMENT, "malformed message: not a pantau.v1.AgentMessage"
    )
    assert store_unavailable(OSError(28, "No space left")) == Refusal(
        Status.UNAVAILABLE,
        "the collector cannot store data right now (OSError); the kit keeps it and retries",
    )


def test_a_snapshot_is_live_state_only_stored_with_no_rows_and_not_answered() -> None:
    session, _ = opened()
    commit = session.receive(snapshot(record(3), record(4, mono=HELLO_MONO - 30 * S)), HELLO_NS)
    assert commit.snapshot and commit.batch.rows == []
    assert commit.batch.signal is not None
    assert commit.batch.signal.event_ns == HELLO_NS - 30 * S  # the newest reading
    assert session.committed(commit, BatchOutcome(0, 0, 0)) is None
    assert session.acked_through == 0
    # the records come again in a Batch, and are answered then
    again = session.receive(batch(record(3)), HELLO_NS + S)
    assert session.committed(again, BatchOutcome(1, 0, 3)) == Acked(
        Ack(3, 1, 0), HELLO_NS + S, (TrustedRecord(HELLO_NS - 60 * S, record(3)),)
    )


def test_event_times_are_anchored_by_hello_and_by_stored_anchors() -> None:
    stored = {
        "boot-old": (100 * S, HELLO_NS - 3600 * S),  # a boot anchored an hour ago
        "boot-a": (1 * S, 2 * S),  # the Hello's own boot: the Hello's anchor wins
    }
    session, _ = opened(stored_anchors=stored)
    commit = session.receive(
        batch(
            record(1, boot="boot-old", mono=40 * S),
            record(2, mono=HELLO_MONO - 10 * S),
            record(3, boot="boot-never", synced=True),
            record(4, boot="boot-never"),
        ),
        HELLO_NS + S,
    )
    rows = [(r.seq, r.event_ns, r.time_quality) for r in commit.batch.rows]
    assert rows == [
        (1, HELLO_NS - 3660 * S, "monotonic"),
        (2, HELLO_NS - 10 * S, "monotonic"),
        (3, 7, "synced-wall"),
        (4, 7, "unsynced-wall"),
    ]
    # the Hello's anchor is stored with the stream's first commit, and only with it
    assert commit.batch.anchor == ("boot-a", HELLO_MONO, HELLO_NS)
    assert session.receive(batch(record(5)), HELLO_NS + 2 * S).batch.anchor is None


def test_untrusted_event_times_are_stored_but_not_handed_to_the_rules() -> None:
    session, _ = opened()
    synced, unsynced = record(2, boot="boot-b", synced=True), record(3, boot="boot-b")
    commit = session.receive(batch(record(1), synced, unsynced), HELLO_NS + S)
    acked = session.committed(commit, BatchOutcome(3, 0, 3))
    assert acked is not None
    assert [r.seq for r in commit.batch.rows] == [1, 2, 3]  # all stored
    assert acked.trusted == (
        TrustedRecord(HELLO_NS - 60 * S, record(1)),
        TrustedRecord(7, synced),
    )


def test_duplicate_seqs_are_acked_but_not_handed_to_the_rules_again() -> None:
    session, welcome = opened(agent(acked_through=5))
    assert welcome.acked_through_seq == 5
    resent = session.receive(batch(record(4), record(5), record(6), record(7)), HELLO_NS + S)
    acked = session.committed(resent, BatchOutcome(2, 2, 7))
    assert acked is not None
    assert acked.ack == Ack(7, 2, 2)
    assert [t.record.seq for t in acked.trusted] == [6, 7]
    again = session.receive(batch(record(7), record(8)), HELLO_NS + 2 * S)
    acked = session.committed(again, BatchOutcome(1, 1, 8))
    assert acked is not None
    assert (acked.ack, [t.record.seq for t in acked.trusted]) == (Ack(8, 1, 1), [8])
    assert session.acked_through == 8


def test_the_servicer_calling_out_of_turn_is_a_local_error() -> None:
    session = StreamSession(agent())
    with pytest.raises(LocalProtocolError):
        session.welcome({}, HELLO_NS)
    session.hello(hello(), HELLO_NS)
    with pytest.raises(LocalProtocolError):
        session.receive(batch(record(1)), HELLO_NS)  # the anchors are not read yet
    with pytest.raises(LocalProtocolError):
        session.hello(hello(), HELLO_NS)


def test_a_refused_session_refuses_everything_after() -> None:
    session, _ = opened()
    with pytest.raises(KitRefused):
        session.receive(batch(), HELLO_NS)
    with pytest.raises(KitRefused) as info:
        session.receive(batch(record(1)), HELLO_NS)
    assert info.value.refusal == Refusal(
        Status.FAILED_PRECONDITION, "this stream was refused: open a new one"
    )


def test_commit_carries_the_records_as_sent() -> None:
    session, _ = opened()
    message = batch(record(1), record(2))
    commit = session.receive(message, HELLO_NS)
    assert isinstance(commit, Commit)
    assert list(commit.records) == list(message.batch.records)


def test_a_bad_batch_is_the_kits_fault_and_says_what_to_answer() -> None:
    session, _ = opened()
    with pytest.raises(RemoteProtocolError) as info:
        session.receive(batch(record(1), no_body(2)), HELLO_NS)
    assert isinstance(info.value, BatchRejected)
    assert info.value.status is Status.INVALID_ARGUMENT


@pytest.mark.parametrize(
    ("backhaul", "purpose", "expected"),
    [
        (telemetry_pb2.BACKHAUL_UNSPECIFIED, None, "cellular"),  # a kit from before the field
        (telemetry_pb2.BACKHAUL_CELLULAR, None, "cellular"),
        (telemetry_pb2.BACKHAUL_VSAT_GEO, None, "vsat-geo"),
        (telemetry_pb2.BACKHAUL_VSAT_LEO, None, "vsat-leo"),
        (telemetry_pb2.BACKHAUL_WIRED, None, "wired"),
        (99, None, "cellular"),  # a value of a later pantau.v1: judged as before
        (telemetry_pb2.BACKHAUL_CELLULAR, "check", None),  # check says nothing of the link
    ],
)
def test_the_hello_says_which_link_the_site_is_judged_by(
    backhaul: int, purpose: str | None, expected: str | None
) -> None:
    message = hello()
    message.hello.backhaul = backhaul  # type: ignore[assignment]
    if purpose is not None:
        message.hello.host["purpose"] = purpose
    session = StreamSession.admit(auth.Credential("kit-1", SECRET), agent())
    assert session.hello(message, HELLO_NS) == HelloAccepted("kit-1", expected)


def check_hello() -> telemetry_pb2.AgentMessage:
    message = hello()
    message.hello.host["purpose"] = "check"
    return message


def welcomed_from(message: telemetry_pb2.AgentMessage, a: Agent | None = None) -> StreamSession:
    session = StreamSession(a or agent())
    session.hello(message, HELLO_NS)
    session.welcome({}, HELLO_NS + 1000)
    return session


def test_a_kits_newer_stream_ends_its_older_one_which_then_refuses_everything() -> None:
    older, _ = opened()
    newer = StreamSession(agent())
    newer.hello(hello(), HELLO_NS + S)  # the kit's Hello again, a second later
    newer.welcome({}, HELLO_NS + S)
    ended = newer.supersede(older)
    assert ended is not None and ended[0] is older
    assert ended[1].refusal == Refusal(
        Status.ABORTED, "superseded by a newer stream of this kit (kit-1)"
    )
    assert not older.streaming and newer.streaming
    with pytest.raises(KitRefused) as info:  # a message read before the cut came
        older.receive(batch(record(1)), HELLO_NS)
    assert info.value.refusal.status is Status.FAILED_PRECONDITION
    assert newer.supersede(older) is None  # ended once
    with pytest.raises(LocalProtocolError):  # an ended stream supersedes nothing
        older.supersede(newer)


def test_a_stale_stream_welcomed_after_the_kits_newer_one_is_the_one_that_ends() -> None:
    """A slow handshake: the kit gave up on a stream and reconnected, and the stale
    stream's Welcome comes after the newer stream's. Hello time, not Welcome order,
    says which stream the kit is on."""
    newer = StreamSession(agent())
    newer.hello(hello(), HELLO_NS + S)
    newer.welcome({}, HELLO_NS + S)
    stale, _ = opened()  # its Hello came first; welcomed only now
    ended = stale.supersede(newer)
    assert ended is not None and ended[0] is stale
    assert newer.streaming and not stale.streaming


def test_a_check_stream_neither_ends_the_kits_stream_nor_is_ended_by_it() -> None:
    kit = welcomed_from(hello())
    check = welcomed_from(check_hello())
    assert check.is_check and not kit.is_check
    assert check.supersede(kit) is None
    assert kit.supersede(check) is None
    assert kit.streaming and check.streaming


def test_only_the_same_agents_welcomed_stream_supersedes() -> None:
    mine, _ = opened()
    other = welcomed_from(
        hello(agent_id="kit-2"), Agent("kit-2", SITE, auth.hash_secret(SECRET), False, 0)
    )
    assert other.supersede(mine) is None and mine.streaming
    not_yet = StreamSession(agent())
    not_yet.hello(hello(), HELLO_NS)  # the anchors are not read: not welcomed
    with pytest.raises(LocalProtocolError):
        not_yet.supersede(mine)
    with pytest.raises(LocalProtocolError):
        mine.supersede(mine)
