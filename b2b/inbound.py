"""The inbound half of the pipeline: what a worker does with each file a partner sent.

    file (AS2 payload, SFTP, folder) ─► recorded ─► claimed ─► checked ─► per interchange:
        partner (ISA05/ISA06) ─► duplicate ISA13? (TA1 025) ─► our TA1 / 997 / 999 queued
        ─► their 997 / 999 / TA1 reconciled to what we sent ─► 855 / 856 / 810 kept by PO

All of a file's outcome is written in one transaction (`store.inbound.record_read`).

>>> while process_next_inbound(gateway, worker="node1-w1"): ...
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence

from b2b.documents import ShipNotice
from b2b.engine import Gateway
from b2b.errors import B2BError
from b2b.logs import bind, log_context
from b2b.mapping import BusinessDocument, document_summary, read_business_document
from b2b.partners import Envelope, PartnerProfile
from b2b.store import Built, utcnow
from b2b.store.inbound import (
    AckReceived,
    DocumentRead,
    InboundClaim,
    InterchangeRead,
    Lookups,
    OutboundAck,
    claim_inbound,
    record_read,
    record_unreadable,
)
from b2b.tocoupa import coupa_deliveries
from b2b.x12 import Transaction, write_interchange
from b2b.x12.acks import functional_acknowledgment, read_acknowledgments, ta1_interchange
from b2b.x12.check import CheckedInterchange, check_interchanges
from b2b.x12.results import AckStatus, GroupResult, InterchangeResult, TransactionResult

log = logging.getLogger(__name__)

BUSINESS_SETS = frozenset({"855", "856", "810"})
ACKNOWLEDGMENT_GROUP = "FA"


def process_next_inbound(gateway: Gateway, *, worker: str) -> bool:
    """Read one received file and keep what it gave; False when none waits."""
    now = utcnow()
    lease = dt.timedelta(seconds=gateway.settings.lease_seconds)
    claim = claim_inbound(
        engine=gateway.engine, blobs=gateway.blobs, worker=worker, now=now, lease=lease
    )
    if claim is None:
        return False
    as2_message_id = claim.origin_ref if claim.origin == "as2" else None
    bind(partner=claim.partner_id or None, as2_message_id=as2_message_id)
    checked = check_interchanges(claim.data, validator=gateway.schemas)
    if not any(c.interchange is not None or c.sender != ("", "") for c in checked):
        reason = _unreadable(checked)
        record_unreadable(engine=gateway.engine, claim=claim, worker=worker, reason=reason, now=now)
        log.warning("inbound file %s from %s: %s", claim.origin_ref, claim.origin, reason)
        return True

    def read(lookups: Lookups) -> list[InterchangeRead]:
        return [_interchange(gateway, claim, one, lookups, now) for one in checked]

    results = record_read(engine=gateway.engine, claim=claim, worker=worker, read=read, now=now)
    for item in results:
        with log_context(control_number=item.control_number, partner=item.partner_id or None):
            log.info(
                "inbound interchange %s from %s: TA1 %s %s; %s",
                item.control_number,
                item.partner_id or item.sender,
                item.status,
                item.note_code,
                "; ".join(item.notes) or "nothing to do",
            )
    if any(item.acks_to_send for item in results):
        gateway.wake.set()
    return True


def _unreadable(checked: Sequence[CheckedInterchange]) -> str:
    if not checked:
        return "no X12 interchange in the file"
    result = checked[0].result
    return f"not a readable X12 interchange (TA1 {result.status} {result.note_code})"


def _interchange(
    gateway: Gateway,
    claim: InboundClaim,
    checked: CheckedInterchange,
    lookups: Lookups,
    now: dt.datetime,
) -> InterchangeRead:
    sender, receiver = ":".join(checked.sender), ":".join(checked.receiver)
    partner = _partner(gateway, claim)
    result, notes = checked.result, [fault.reason for fault in checked.faults]
    duplicate = False
    if partner is None:
        notes.append(f"no partner profile for {claim.origin} {claim.origin_ref}: not answered")
    else:
        result, duplicate = _verdict(gateway, partner, checked, lookups, now)
        if result.note_code == "006":
            notes.append(f"ISA05/ISA06 {sender} is not {partner.id}'s interchange ID")
    read = InterchangeRead(
        partner_id=partner.id if partner else None,
        sender=sender,
        receiver=receiver,
        control_number=result.control_number,
        status=result.status.value,
        note_code=result.note_code,
        duplicate=duplicate,
        result=_json(result),
        notes=tuple(notes),
    )
    if partner is None:
        return read
    taken = result.status.accepted and checked.interchange is not None
    received, ack_notes = _acks_received(partner, checked) if taken else ((), [])
    kept, documents, document_notes = _documents(checked) if taken else ((), [], [])
    to_coupa, coupa_notes = coupa_deliveries(gateway, partner, lookups, documents, now)
    return dataclasses.replace(
        read,
        notes=(*read.notes, *ack_notes, *document_notes, *coupa_notes),
        acks_to_send=_acks_to_send(partner, checked, result, now),
        acks_received=received,
        documents=kept,
        to_coupa=to_coupa,
    )


def _partner(gateway: Gateway, claim: InboundClaim) -> PartnerProfile | None:
    """The partner whose channel the file came through (its AS2 signature, its folder)."""
    try:
        return gateway.partners.get(claim.partner_id) if claim.partner_id else None
    except KeyError:  # the profile was removed since the file arrived
        return None


def _verdict(
    gateway: Gateway,
    partner: PartnerProfile,
    checked: CheckedInterchange,
    lookups: Lookups,
    now: dt.datetime,
) -> tuple[InterchangeResult, bool]:
    """The envelope's result; rejected when ISA05/ISA06 is not the partner's own ID, when it is
    addressed to someone other than us, or when its ISA13 was seen before."""
    result = checked.result
    if not result.status.accepted:
        return result, False
    if gateway.partners.by_interchange_sender(*checked.sender) is not partner:
        return _rejected(result, "006"), False  # invalid interchange sender ID for this channel
    envelope = partner.x12.envelope
    if checked.receiver != (envelope.sender_qualifier, envelope.sender_id):
        return _rejected(result, "009"), False  # unknown interchange receiver ID
    window = dt.timedelta(days=partner.x12.acknowledgments.duplicate_window_days)
    if window and lookups.seen(":".join(checked.sender), result.control_number, now - window):
        return _rejected(result, "025"), True  # duplicate interchange control number
    return result, False


def _rejected(result: InterchangeResult, note_code: str) -> InterchangeResult:
    return dataclasses.replace(result, status=AckStatus.REJECTED, note_code=note_code, groups=())


# ------------------------------------------------------------------ our acknowledgments


def _acks_to_send(
    partner: PartnerProfile,
    checked: CheckedInterchange,
    result: InterchangeResult,
    now: dt.datetime,
) -> tuple[OutboundAck, ...]:
    policy = partner.x12.acknowledgments
    acks: list[OutboundAck] = []
    # An interchange of acknowledgments only is never acknowledged unless it is rejected:
    # two gateways asking each other for TA1s would answer each other for ever.
    asked = not _acknowledgments_only(checked) and (
        policy.ta1 == "always" or (policy.ta1 == "on-request" and checked.acknowledgment_requested)
    )
    if policy.ta1 != "never" and (asked or not result.status.accepted):
        acks.append(_ta1(partner, result, now))
    if policy.send and result.status.accepted:
        groups = [g for g in result.groups if g.functional_id != ACKNOWLEDGMENT_GROUP]
        acks += _functional_acks(partner, groups, now)
    return tuple(acks)


def _acknowledgments_only(checked: CheckedInterchange) -> bool:
    groups = checked.result.groups
    return all(group.functional_id == ACKNOWLEDGMENT_GROUP for group in groups)


def _ack_envelope(partner: PartnerProfile) -> Envelope:
    """The partner's envelope with ISA14 = 0: an acknowledgment asks for none in turn."""
    return partner.x12.envelope.model_copy(update={"acknowledgment_requested": False})


def _ta1(partner: PartnerProfile, result: InterchangeResult, now: dt.datetime) -> OutboundAck:
    envelope, version = _ack_envelope(partner), partner.x12.version

    def build(number: int) -> Built:
        interchange = ta1_interchange(
            result, envelope, control_number=number, version=version, now=now
        )
        return Built(interchange.data, _filename(partner, "TA1", number), number, 0, ())

    return _outbound(partner, "TA1", build)


def _functional_acks(
    partner: PartnerProfile, groups: Sequence[GroupResult], now: dt.datetime
) -> list[OutboundAck]:
    """One interchange of 997s and one of 999s, as the acknowledged groups' versions need."""
    by_set: dict[str, list[Transaction]] = {}
    for group in groups:
        transaction = functional_acknowledgment(group)
        by_set.setdefault(transaction.set_id, []).append(transaction)
    return [_interchange_of(partner, set_id, sets, now) for set_id, sets in by_set.items()]


def _interchange_of(
    partner: PartnerProfile, set_id: str, transactions: list[Transaction], now: dt.datetime
) -> OutboundAck:
    envelope = _ack_envelope(partner)

    def build(number: int) -> Built:
        interchange = write_interchange(
            transactions,
            envelope,
            control_number=number,
            version=transactions[0].version,
            now=now,
        )
        return Built(
            interchange.data,
            _filename(partner, set_id, number),
            interchange.control_number,
            interchange.group_control_number,
            interchange.transaction_control_numbers,
        )

    return _outbound(partner, set_id, build)


def _outbound(partner: PartnerProfile, set_id: str, build: Callable[[int], Built]) -> OutboundAck:
    envelope = partner.x12.envelope
    return OutboundAck(
        partner_id=partner.id,
        transaction_set=set_id,
        sender=f"{envelope.sender_qualifier}:{envelope.sender_id}",
        receiver=f"{envelope.receiver_qualifier}:{envelope.receiver_id}",
        build=build,
    )


def _filename(partner: PartnerProfile, set_id: str, number: int) -> str:
    return f"{partner.id}_{set_id}_{number:09d}.x12"


# ------------------------------------------------------------------ their acknowledgments


def _acks_received(
    partner: PartnerProfile, checked: CheckedInterchange
) -> tuple[tuple[AckReceived, ...], list[str]]:
    """The partner's TA1s and 997/999s in this interchange, to settle what we sent."""
    interchange = checked.interchange
    assert interchange is not None
    has_acks = interchange.ta1 or any(
        g.functional_id == ACKNOWLEDGMENT_GROUP for g in interchange.groups
    )
    if not has_acks:
        return (), []
    refused = [
        g.control_number
        for g in checked.result.groups
        if g.functional_id == ACKNOWLEDGMENT_GROUP and not g.status.accepted
    ]
    if refused:
        return (), [f"acknowledgment group(s) {', '.join(refused)} rejected: not reconciled"]
    try:
        found = read_acknowledgments(interchange)
    except B2BError as exc:
        return (), [f"acknowledgment unreadable: {exc.reason}"]
    received = [_ta1_received(partner, ta1) for ta1 in found.ta1s]
    received += [_group_received(partner, group) for group in found.groups]
    return tuple(r for r in received if r is not None), []


def _ta1_received(partner: PartnerProfile, ta1: InterchangeResult) -> AckReceived | None:
    if not ta1.control_number.isdigit():
        return None
    summary = f"TA1 {ta1.status} {ta1.note_code} for ISA13 {ta1.control_number}"
    return AckReceived(
        partner.id, "interchange", int(ta1.control_number), ta1.status.value, summary, _json(ta1)
    )


def _group_received(partner: PartnerProfile, group: GroupResult) -> AckReceived | None:
    if not group.control_number.isdigit():
        return None
    return AckReceived(
        partner.id,
        "group",
        int(group.control_number),
        group.status.value,
        group_summary(group),
        _json(group),
    )


def group_summary(group: GroupResult) -> str:
    """'AK9 P: 1 of 2 sets accepted; ST 0002 R (5; N1 at 7: 8)' for a message's history."""
    head = (
        f"AK9 {group.status} for GS06 {group.control_number}: "
        f"{group.accepted} of {group.received} sets accepted"
    )
    codes = f" (AK9 codes {', '.join(group.codes)})" if group.codes else ""
    faults = [_transaction_fault(t) for t in group.transactions if t.status != AckStatus.ACCEPTED]
    return "; ".join([head + codes, *faults])


def _transaction_fault(transaction: TransactionResult) -> str:
    codes = ", ".join(transaction.codes)
    segments = ", ".join(
        f"{s.segment_id} at {s.position}: {s.code or ','.join(e.code for e in s.elements)}"
        for s in transaction.segments
    )
    detail = "; ".join(part for part in (codes, segments) if part)
    return f"ST {transaction.control_number} {transaction.status}" + (
        f" ({detail})" if detail else ""
    )


# ------------------------------------------------------------------ business documents


Read = tuple[tuple[DocumentRead, ...], list[tuple[str, BusinessDocument]], list[str]]


def _documents(checked: CheckedInterchange) -> Read:
    """The accepted 855/856/810 sets, read: as kept, as documents, and notes."""
    interchange = checked.interchange
    assert interchange is not None
    verdicts = {
        (g.control_number, t.control_number): t.accepted
        for g in checked.result.groups
        if g.status.accepted
        for t in g.transactions
    }
    found: list[DocumentRead] = []
    documents: list[tuple[str, BusinessDocument]] = []
    notes: list[str] = []
    for group in interchange.groups:
        for transaction in group.transactions:
            taken = verdicts.get((group.gs.get(6), transaction.control_number), False)
            if transaction.set_id not in BUSINESS_SETS or not taken:
                continue
            try:
                document = read_business_document(transaction, group.version)
            except B2BError as exc:
                notes.append(f"{transaction.set_id} ST {transaction.control_number}: {exc.reason}")
                continue
            documents.append((transaction.set_id, document))
            po_numbers = _po_numbers(document)
            summary = document_summary(document)
            found.append(
                DocumentRead(transaction.set_id, po_numbers, transaction.control_number, summary)
            )
            notes.append(
                f"{transaction.set_id} ST {transaction.control_number} read for PO "
                + ", ".join(po_numbers)
            )
    return tuple(found), documents, notes


def _po_numbers(document: BusinessDocument) -> tuple[str, ...]:
    if isinstance(document, ShipNotice):
        return tuple(document.po_numbers)
    return (document.po_number,)


def _json(value: object) -> object:
    """A result tree as JSON-ready dicts (enums are strings already)."""
    return dataclasses.asdict(value)  # type: ignore[call-overload]
