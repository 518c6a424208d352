"""One order's whole life through a real gateway: Coupa's order and its change go out as an 850
and an 860; the partner's 997, 855, 856 and 810 come back from its SFTP server (a real sshd);
Coupa (a stand-in on loopback) receives the confirmation, ship notice and invoice; the PO's
timeline lists every step in order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from b2b.x12 import Segment
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_changes import _change, _wait_sent
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO, _with
from tests.api.test_inbound import ACME, _interchange, _partners, _wait, sftp_inbound
from tests.api.test_to_coupa import _with_coupa
from tests.conftest import ROOT
from tests.fixtures.coupa import CoupaStandIn
from tests.fixtures.sshd import SshServer

SAMPLES = ROOT / "samples" / "x12"


def _acknowledging(groups: list[tuple[str, int]]) -> bytes:
    """The partner's 997s for our groups (GS01, GS06): one 997 set per group, all accepted."""
    bodies = [
        [
            Segment("AK1", (functional_id, str(number))),
            Segment("AK9", ("A", "1", "1", "1")),
        ]
        for functional_id, number in groups
    ]
    return _interchange(ACME, 3997, "997", "004010", *bodies)


def _steps(gateway: RunningGateway) -> list[str]:
    timeline: list[dict[str, Any]] = gateway.messages(SAMPLE_PO)["timeline"]
    return [step["step"] for step in timeline]


def test_an_order_lives_its_whole_life(
    start_gateway: GatewayFactory, tmp_path: Path, sshd: SshServer, coupa: CoupaStandIn
) -> None:
    folder = _with_coupa(_partners(tmp_path / "partners"), coupa, tmp_path)
    outbox = sshd.upload_dir / "acme-lifecycle"
    outbox.mkdir()
    sftp_inbound(folder / "acme.toml", sshd, outbox)
    gateway = start_gateway(partners_dir=folder)

    assert gateway.post_cxml(SAMPLE).status_code == 200
    _wait_sent(gateway, 1)
    update = _change(SAMPLE, "update", 2, "v2")
    update = _with(update, b'quantity="10" lineNumber="1"', b'quantity="12" lineNumber="1"')
    assert gateway.post_cxml(update).status_code == 200
    order, change = sorted(_wait_sent(gateway, 2), key=lambda m: m["id"])

    groups = [("PO", order["control_numbers"]["GS06"]), ("PC", change["control_numbers"]["GS06"])]
    (outbox / "1-997.x12").write_bytes(_acknowledging(groups))
    for n, kind in enumerate(("855", "856", "810"), start=2):
        (outbox / f"{n}-{kind}.x12").write_bytes((SAMPLES / f"acme_{kind}_004010.x12").read_bytes())

    def delivered() -> bool:
        steps = _steps(gateway)
        return all(f"{kind} to Coupa: sent" in steps for kind in ("855", "856", "810"))

    _wait(gateway, delivered, "the confirmation, ship notice and invoice in Coupa", timeout=30)
    assert sorted(m["ack_state"] for m in gateway.messages(SAMPLE_PO)["messages"][-2:]) == [
        "accepted",
        "accepted",
    ]
    assert coupa.paths() == [
        "/cxml/order_confirmations",
        "/cxml/ship_notice_request",
        "/cxml/invoices",
    ]
    steps = _steps(gateway)
    in_order = [
        "850 to acme: received",
        "850 to acme: sent",
        "860 to acme: received",
        "860 to acme: sent",
        "850 to acme: acknowledged",
        "855 from acme",
        "855 to Coupa: sent",
    ]
    positions = [steps.index(step) for step in in_order]
    assert positions == sorted(positions), steps
    assert steps.index("860 to acme: acknowledged") > steps.index("860 to acme: sent")
    for kind in ("855", "856", "810"):
        assert steps.index(f"{kind} from acme") < steps.index(f"{kind} to Coupa: sent")
    assert (
        steps.index("855 from acme") < steps.index("856 from acme") < steps.index("810 from acme")
    )
    assert sorted(p.name for p in outbox.iterdir()) == []  # each file taken, then deleted
