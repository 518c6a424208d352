"""Partners answer: 997/999/TA1 settle what we sent, 855/856/810 join the PO's timeline.

A real gateway with the example partners, Acme (4010) and Globex (5010) polling a local inbound
folder each; the test drops the partner's files there, as the partner would.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from b2b.partners.profile import Envelope
from b2b.x12 import Segment, Transaction, read_interchanges, write_interchange
from b2b.x12.acks import ta1_interchange
from b2b.x12.results import AckStatus, InterchangeResult
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_as2 import AS2_PO, AS2_SAMPLE
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO, _with
from tests.conftest import ROOT
from tests.fixtures.ports import free_port
from tests.fixtures.sshd import SshServer

NOW = dt.datetime(2026, 11, 28, 12, 0)
GLOBEX_ORDER = _with(
    SAMPLE,
    b'domain="DUNS">\n        <Identity>123456789',
    b'domain="NetworkID">\n        <Identity>AN01000002779',
)

# The partners as they write to us: their ID is the receiver of what we send them.
ACME = Envelope(
    sender_qualifier="01",
    sender_id="123456789",
    receiver_qualifier="ZZ",
    receiver_id="B2BGATEWAY",
    usage_indicator="T",
)
GLOBEX = Envelope(
    sender_qualifier="ZZ",
    sender_id="GLOBEXEDI",
    receiver_qualifier="01",
    receiver_id="987654321",
    usage_indicator="T",
    element_separator="|",
    component_separator=":",
)


def _partners(folder: Path, *, overdue_hours: float = 24) -> Path:
    """The example partners, polling their inbound folders every 0.1 s."""
    folder.mkdir()
    for name in ("acme", "globex"):
        text = (ROOT / "partners" / f"{name}.toml").read_text()
        text = text.replace("poll_seconds = 5 ", "poll_seconds = 0.1 ")
        text = text.replace("overdue_after_hours = 24 ", f"overdue_after_hours = {overdue_hours} ")
        if name == "globex":
            text += '\n[inbound]\nkind = "directory"\npath = "inbound/globex"\ncreate = true\n'
            text += "poll_seconds = 0.1\n"
        (folder / f"{name}.toml").write_text(text)
    return folder


@pytest.fixture
def gateway(start_gateway: GatewayFactory, tmp_path: Path) -> RunningGateway:
    return start_gateway(partners_dir=_partners(tmp_path / "partners"))


def _drop(gateway: RunningGateway, partner: str, name: str, data: bytes) -> None:
    folder = gateway.settings.data_dir / "inbound" / partner
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def _interchange(
    envelope: Envelope, control_number: int, set_id: str, version: str, *bodies: list[Segment]
) -> bytes:
    functional_id = {"997": "FA", "999": "FA", "855": "PR"}[set_id]
    transactions = [Transaction(set_id, functional_id, version, tuple(b)) for b in bodies]
    return write_interchange(
        transactions, envelope, control_number=control_number, version=version, now=NOW
    ).data


def _ack_997(group: int, ak9: str, *sets: tuple[str, str]) -> list[Segment]:
    body = [Segment("AK1", ("PO", str(group)))]
    for number, status in sets:
        body += [
            Segment("AK2", ("850", number)),
            Segment("AK5", (status,) if status == "A" else (status, "5")),
        ]
    accepted = sum(1 for _, status in sets if status != "R")
    body.append(Segment("AK9", (ak9, str(len(sets)), str(len(sets)), str(accepted))))
    return body


def _wait(gateway: RunningGateway, check: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _acknowledged(gateway: RunningGateway, po: str) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        sent = [m for m in gateway.messages(po)["messages"] if m["transaction_set"] == "850"]
        return sent[0] if sent and sent[0]["ack_state"] else None

    found: dict[str, Any] = _wait(gateway, settled, f"the acknowledgment of PO {po}")
    return found


def _sent_850(gateway: RunningGateway, body: bytes = SAMPLE) -> dict[str, Any]:
    assert gateway.post_cxml(body).status_code == 200
    return gateway.wait_for(SAMPLE_PO, "sent")


@pytest.mark.parametrize(
    ("ak9", "sets", "state"),
    [
        ("A", [("0001", "A")], "accepted"),
        ("E", [("0001", "E")], "accepted-with-errors"),
        ("P", [("0001", "A"), ("0002", "R")], "partially-accepted"),
        ("R", [("0001", "R")], "rejected"),
    ],
)
def test_a_997_settles_the_850_it_acknowledges(
    gateway: RunningGateway, ak9: str, sets: list[tuple[str, str]], state: str
) -> None:
    sent = _sent_850(gateway)
    group = sent["control_numbers"]["GS06"]
    assert sent["ack_due_at"] is not None
    assert not sent["overdue"]
    _drop(
        gateway,
        "acme",
        "997.x12",
        _interchange(ACME, 501, "997", "004010", _ack_997(group, ak9, *sets)),
    )
    message = _acknowledged(gateway, SAMPLE_PO)
    assert message["ack_state"] == state
    assert message["ack_detail"]["control_number"] == str(group)
    assert message["ack_detail"]["status"] == ak9
    assert message["events"][-1]["state"] == "acknowledged"
    assert f"AK9 {ak9} for GS06 {group}" in message["events"][-1]["detail"]
    # a 997 is never acknowledged in turn
    assert not list((gateway.outbox / "acme").glob("*_997_*"))


def test_a_999_ik5_rejection_settles_a_5010_850(gateway: RunningGateway) -> None:
    sent = _sent_850(gateway, GLOBEX_ORDER)
    assert sent["partner_id"] == "globex"
    group = sent["control_numbers"]["GS06"]
    body = [
        Segment("AK1", ("PO", str(group), "005010")),
        Segment("AK2", ("850", "0001")),
        Segment("IK3", ("N1", "7", "", "8")),
        Segment("IK4", ("2", "93", "5", "X" * 70)),
        Segment("IK5", ("R", "5")),
        Segment("AK9", ("R", "1", "1", "0")),
    ]
    _drop(gateway, "globex", "999.x12", _interchange(GLOBEX, 77, "999", "005010X231A1", body))
    message = _acknowledged(gateway, SAMPLE_PO)
    assert message["ack_state"] == "rejected"
    (transaction,) = message["ack_detail"]["transactions"]
    assert transaction["status"] == "R"
    assert transaction["segments"][0]["segment_id"] == "N1"
    assert transaction["segments"][0]["elements"][0]["code"] == "5"


def test_a_ta1_rejection_settles_the_interchange(gateway: RunningGateway) -> None:
    sent = _sent_850(gateway)
    isa13 = sent["control_numbers"]["ISA13"]
    verdict = InterchangeResult(isa13, "261128", "1200", AckStatus.REJECTED, "001")
    ta1 = ta1_interchange(verdict, ACME, control_number=9, version="004010", now=NOW)
    _drop(gateway, "acme", "ta1.x12", ta1.data)
    message = _acknowledged(gateway, SAMPLE_PO)
    assert message["ack_state"] == "rejected"
    assert message["ack_detail"]["note_code"] == "001"


def test_an_850_without_acknowledgment_becomes_overdue(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    gateway = start_gateway(partners_dir=_partners(tmp_path / "partners", overdue_hours=0.0002))
    sent = _sent_850(gateway)

    def overdue() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = gateway.client.get(
            "/messages", params={"overdue": "true"}
        ).json()["messages"]
        return found

    (late,) = _wait(gateway, overdue, "the 850 to become overdue")
    assert late["id"] == sent["id"]
    assert late["overdue"] is True
    group = sent["control_numbers"]["GS06"]
    _drop(
        gateway,
        "acme",
        "997.x12",
        _interchange(ACME, 502, "997", "004010", _ack_997(group, "A", ("0001", "A"))),
    )
    assert _acknowledged(gateway, SAMPLE_PO)["overdue"] is False
    assert overdue() == []


def _outbox_files(gateway: RunningGateway, pattern: str) -> list[Path]:
    return sorted((gateway.outbox / "acme").glob(pattern))


def test_an_855_joins_the_po_timeline_and_is_answered_with_a_997(
    gateway: RunningGateway,
) -> None:
    data = (ROOT / "samples" / "x12" / "acme_855_004010.x12").read_bytes()
    _drop(gateway, "acme", "855.x12", data)
    documents = _wait(
        gateway, lambda: gateway.messages(SAMPLE_PO)["documents"], "the 855 on the timeline"
    )
    (document,) = documents
    assert (document["partner_id"], document["transaction_set"]) == ("acme", "855")
    assert document["summary"]["po_numbers"] == [SAMPLE_PO]
    assert document["summary"]["line_statuses"] == {"IA": 3, "IB": 2, "IR": 1}
    (ack_file,) = _wait(gateway, lambda: _outbox_files(gateway, "acme_997_*.x12"), "our 997")
    (ack,) = read_interchanges(ack_file.read_bytes())
    (received,) = read_interchanges(data)
    segments = {s.tag: s for s in ack.groups[0].transactions[0].segments}
    assert segments["AK1"].elements[:2] == ("PR", received.groups[0].gs.get(6))
    assert segments["AK9"].get(1) == "A"
    assert ack.receiver == ("01", "123456789")

    # The same interchange again: a duplicate, answered with TA1 025, not read twice.
    _drop(gateway, "acme", "855-again.x12", data)
    (ta1_file,) = _wait(gateway, lambda: _outbox_files(gateway, "acme_TA1_*.x12"), "a TA1")
    (ta1,) = read_interchanges(ta1_file.read_bytes())
    assert ta1.ta1[0].elements[0] == received.isa.get(13)
    assert ta1.ta1[0].elements[3:5] == ("R", "025")
    assert len(gateway.messages(SAMPLE_PO)["documents"]) == 1


def test_a_broken_855_is_rejected_in_a_997_and_not_read(gateway: RunningGateway) -> None:
    data = (ROOT / "samples" / "x12" / "acme_855_004010.x12").read_bytes()
    (received,) = read_interchanges(data)
    se = received.groups[0].transactions[0].se
    broken = data.replace(f"SE*{se.get(1)}*".encode(), f"SE*{int(se.get(1)) + 1}*".encode())
    _drop(gateway, "acme", "855.x12", broken)
    (ack_file,) = _wait(gateway, lambda: _outbox_files(gateway, "acme_997_*.x12"), "our 997")
    (ack,) = read_interchanges(ack_file.read_bytes())
    segments = {s.tag: s for s in ack.groups[0].transactions[0].segments}
    assert segments["AK5"].elements[:2] == ("R", "4")
    assert segments["AK9"].get(1) == "R"
    assert gateway.messages(SAMPLE_PO)["documents"] == []


def test_an_as2_partner_answers_our_850_with_a_999_that_settles_it(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """Two gateways on loopback: our 850 goes by AS2, the partner checks it and its 999 comes
    back by AS2, is read by ours and settles the 850. Nobody acknowledges the 999."""
    our_port = free_port()
    partner_profiles = tmp_path / "partner-partners"
    partner_profiles.mkdir()
    profile = (ROOT / "examples" / "as2-partner" / "partners" / "b2b-gateway.toml").read_text()
    profile = profile.replace("http://127.0.0.1:8080", f"http://127.0.0.1:{our_port}")
    (partner_profiles / "b2b-gateway.toml").write_text(profile)
    partner = start_gateway(
        database="partner",
        data_dir=tmp_path / "partner-var",
        partners_dir=partner_profiles,
        as2_id="B2B-DEMO-PARTNER",
        as2_keys=("demo/demo-partner.pem",),
    )
    our_profiles = tmp_path / "our-partners"
    our_profiles.mkdir()
    ours_text = (ROOT / "partners" / "demo-as2.toml").read_text()
    (our_profiles / "demo-as2.toml").write_text(
        ours_text.replace("http://127.0.0.1:8081", partner.url)
    )
    ours = start_gateway(partners_dir=our_profiles, port=our_port)

    assert ours.post_cxml(AS2_SAMPLE).status_code == 200
    message = _acknowledged(ours, AS2_PO)
    assert message["ack_state"] == "accepted"
    details = [e["detail"] for e in message["events"] if e["state"] == "acknowledged"]
    assert any(d.startswith("AK9 A for GS06 ") for d in details)
    (answered,) = partner.client.get("/inbound").json()["files"]
    assert answered["origin"] == "as2"
    (interchange,) = answered["interchanges"]
    assert (interchange["status"], interchange["note_code"]) == ("A", "000")
    assert any(note.startswith("999 queued as message") for note in interchange["notes"])
    # Our 850 asked for a TA1 (ISA14 = 1): the partner sent one, and its 999, each asking none.
    files = _wait(ours, lambda: len(ours.client.get("/inbound").json()["files"]) == 2, "acks")
    files = ours.client.get("/inbound").json()["files"]
    notes = [n for f in files for i in f["interchanges"] for n in i["notes"]]
    assert any(n.startswith("acknowledgment for interchange ") for n in notes)
    assert any(n.startswith("acknowledgment for group ") for n in notes)
    assert not any("queued" in n for n in notes)


def sftp_inbound(profile: Path, sshd: SshServer, remote_dir: Path, extra: str = "") -> None:
    """Make the profile's `[inbound]` a folder on the test's sshd, polled every 0.1 s."""
    text = profile.read_text()
    start, end = text.index("[inbound]"), text.index("[retry]")
    section = f"""[inbound]
kind = "sftp"
host = "{sshd.host}"
port = {sshd.port}
username = "{sshd.username}"
private_key = "{sshd.client_key}"
host_key = "{sshd.host_key_line}"
remote_dir = "{remote_dir}"
pattern = "*.x12"
poll_seconds = 0.1
{extra}

"""
    profile.write_text(text[:start] + section + text[end:])


def test_files_on_the_partners_sftp_server_are_taken_read_and_archived(
    start_gateway: GatewayFactory, tmp_path: Path, sshd: SshServer
) -> None:
    """Acme's outbox is a folder on its SFTP server (a real sshd): the 855 and 810 there are
    taken once stable, moved to its archive, read, and answered in one 997 each."""
    outbox, archive = sshd.upload_dir / "acme-out", sshd.upload_dir / "acme-out" / "done"
    archive.mkdir(parents=True)
    folder = _partners(tmp_path / "partners")
    sftp_inbound(folder / "acme.toml", sshd, outbox, f'after = "move"\narchive_dir = "{archive}"')
    for name in ("acme_855_004010.x12", "acme_810_004010.x12"):
        (outbox / name).write_bytes((ROOT / "samples" / "x12" / name).read_bytes())
    (outbox / "notes.txt").write_text("not ours")
    gateway = start_gateway(partners_dir=folder)

    def both() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = gateway.messages(SAMPLE_PO)["documents"]
        return found if len(found) == 2 else None

    documents = _wait(gateway, both, "the 855 and the 810 on the timeline")
    assert sorted(d["transaction_set"] for d in documents) == ["810", "855"]
    assert sorted(p.name for p in outbox.iterdir()) == ["done", "notes.txt"]
    assert sorted(p.name for p in archive.iterdir()) == [
        "acme_810_004010.x12",
        "acme_855_004010.x12",
    ]
    files = gateway.client.get("/inbound").json()["files"]
    assert sorted(f["origin_ref"] for f in files) == [
        f"{outbox}/acme_810_004010.x12",
        f"{outbox}/acme_855_004010.x12",
    ]
    assert {f["origin"] for f in files} == {"sftp"}
    _wait(gateway, lambda: len(_outbox_files(gateway, "acme_997_*.x12")) == 2, "two 997s")


def test_an_interchange_naming_another_sender_than_its_channel_is_rejected(
    gateway: RunningGateway,
) -> None:
    """Globex's 855 turns up in Acme's folder: not read, answered to Acme with TA1 006."""
    data = (ROOT / "samples" / "x12" / "globex_855_005010.x12").read_bytes()
    _drop(gateway, "acme", "855.x12", data)
    (ta1_file,) = _wait(gateway, lambda: _outbox_files(gateway, "acme_TA1_*.x12"), "a TA1")
    (ta1,) = read_interchanges(ta1_file.read_bytes())
    assert ta1.ta1[0].elements[3:5] == ("R", "006")
    (file,) = gateway.client.get("/inbound").json()["files"]
    (interchange,) = file["interchanges"]
    assert "ISA05/ISA06 ZZ:GLOBEXEDI is not acme's interchange ID" in interchange["notes"]
    assert gateway.messages(SAMPLE_PO)["documents"] == []


def test_a_997_sent_twice_has_one_effect(gateway: RunningGateway) -> None:
    """The partner resends its 997 in a new interchange (a new ISA13): recorded once."""
    sent = _sent_850(gateway)
    group = sent["control_numbers"]["GS06"]
    body = _ack_997(group, "A", ("0001", "A"))
    _drop(gateway, "acme", "997.x12", _interchange(ACME, 601, "997", "004010", body))
    _acknowledged(gateway, SAMPLE_PO)
    _drop(gateway, "acme", "997-again.x12", _interchange(ACME, 602, "997", "004010", body))

    def both_read() -> bool:
        files = gateway.client.get("/inbound").json()["files"]
        return len(files) == 2 and all(f["state"] == "processed" for f in files)

    _wait(gateway, both_read, "the second 997 read")
    (message,) = gateway.messages(SAMPLE_PO)["messages"]
    assert [e["state"] for e in message["events"]].count("acknowledged") == 1
    (again,) = gateway.client.get("/inbound").json()["files"][0]["interchanges"]
    assert any("already recorded" in note for note in again["notes"])
