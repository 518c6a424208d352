"""JSON shapes of store views, shared by the HTTP API and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

from cryptography import x509

from b2b.as2 import days_until_expiry
from b2b.partners import PartnerProfile
from b2b.partners.profile import As2Transport, SftpTransport
from b2b.store import BusinessDocumentView, InboundView, MessageView, RejectionView
from b2b.store.search import As2View, OrderView, PartnerActivity


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def message_json(view: MessageView, now: dt.datetime) -> dict[str, Any]:
    """A message and its events as JSON-ready values; `overdue` as of `now`."""
    data: dict[str, Any] = _plain(asdict(view))
    data["ack_detail"] = json.loads(view.ack_detail) if view.ack_detail else None
    data["overdue"] = view.overdue(now)
    icn = view.interchange_control_number
    data["control_numbers"] = {
        "ISA13": None if icn is None else f"{icn:09d}",
        "GS06": view.group_control_number,
        "ST02": view.transaction_control_numbers.split(",")
        if view.transaction_control_numbers
        else [],
    }
    return data


def rejection_json(view: RejectionView) -> dict[str, Any]:
    """A rejection as JSON-ready values."""
    data: dict[str, Any] = _plain(asdict(view))
    return data


def document_json(view: BusinessDocumentView) -> dict[str, Any]:
    """An 855/856/810 a partner sent, with its summary, as JSON-ready values."""
    data: dict[str, Any] = _plain(asdict(view))
    data["summary"] = json.loads(view.summary)
    return data


def inbound_json(view: InboundView) -> dict[str, Any]:
    """A file a partner sent, with its interchanges, as JSON-ready values."""
    data: dict[str, Any] = _plain(asdict(view))
    return data


def timeline(
    messages: list[MessageView], documents: list[BusinessDocumentView], refused: list[RejectionView]
) -> list[dict[str, Any]]:
    """A PO's whole life in time order: each step of each message, each partner document,
    each refusal. `step` says what and where: "850 to acme: sent", "855 from acme"."""
    steps: list[tuple[dt.datetime, int, dict[str, Any]]] = []
    for m in messages:
        where = "Coupa" if m.destination == "coupa" else m.partner_id
        label = f"{m.transaction_set} to {where}"
        for event in m.events:
            step = {"step": f"{label}: {event.state}", "detail": event.detail, "message": m.id}
            steps.append((event.at, 1, step))
    for d in documents:
        summary = json.loads(d.summary)
        step = {"step": f"{d.transaction_set} from {d.partner_id}", "detail": summary}
        steps.append((d.received_at, 0, step))
    for r in refused:
        steps.append((r.received_at, 0, {"step": f"{r.source_format} refused", "detail": r.reason}))
    steps.sort(key=lambda s: (s[0], s[1]))
    return [{"at": at.isoformat(), **step} for at, _, step in steps]


# The PO journey and the partners page: what the dashboard shows and the admin API returns.

#: Where each kind of step sits when two share a time: the order of a PO's life.
#: Events that mean a message was handed to its transport (or tried to be).
ATTEMPTED = ("as2-built", "sent", "awaiting-mdn", "retry", "failed", "dead")
JOURNEY_ORDER = ("order", "850", "860", "mdn", "ack", "855", "856", "810", "cxml", "refused")


@dataclass(frozen=True, slots=True)
class JourneyStep:
    """One hop of a PO's life: the Coupa order, an 850, its MDN and 997, an 855, the cXML..."""

    at: dt.datetime
    kind: str  # one of JOURNEY_ORDER
    title: str
    state: str | None
    references: dict[str, str]  # control numbers, payloadID, Message-ID
    detail: str = ""
    message_id: int | None = None
    raw: str | None = None  # the admin API path of its raw bytes


def journey(
    orders: list[OrderView],
    found: list[MessageView],
    as2: dict[int, As2View],
    documents: list[BusinessDocumentView],
    refused: list[RejectionView],
) -> list[JourneyStep]:
    """A PO's whole life as one timeline, oldest first.

    >>> [s.kind for s in journey(orders, messages, as2, documents, [])]
    ['order', '850', 'mdn', 'ack', '855', 'cxml']
    """
    steps = [_order_step(o) for o in orders]
    for m in found:
        steps += _message_steps(m, as2.get(m.id))
    steps += [_document_step(d) for d in documents]
    steps += [
        JourneyStep(
            r.received_at,
            "refused",
            f"{r.source_format} refused",
            r.error,
            {},
            r.reason,
            raw=f"/documents/{r.id}/raw?kind=rejection",
        )
        for r in refused
    ]
    return sorted(steps, key=lambda s: (s.at, JOURNEY_ORDER.index(s.kind)))


def _order_step(o: OrderView) -> JourneyStep:
    references = {"payloadID" if o.source_format == "cxml" else "document": o.document_key}
    if o.po_version is not None:
        references["version"] = str(o.po_version)
    title = f"Coupa order ({o.order_type}, {o.source_format})"
    return JourneyStep(
        o.received_at,
        "order",
        title,
        f"answered {o.response_status}",
        references,
        raw=f"/documents/{o.id}/raw?kind=order",
    )


def _message_steps(m: MessageView, as2: As2View | None) -> list[JourneyStep]:
    tried = [e.at for e in m.events if e.state in ATTEMPTED]
    at = tried[0] if tried else m.created_at  # when it first went out
    raw = f"/messages/{m.id}/raw"
    if m.destination == "coupa":
        title = f"cXML for {m.transaction_set} to Coupa"
        return [JourneyStep(at, "cxml", title, m.state, {}, m.last_error or "", m.id, raw)]
    references = {k: v for k, v in _control_numbers(m).items() if v}
    if as2 is not None:
        references["Message-ID"] = as2.as2_message_id
    detail = m.last_error or m.receipt or ""
    kind = m.transaction_set if m.transaction_set in JOURNEY_ORDER else "850"
    title = f"{m.transaction_set} to {m.partner_id}"
    steps = [JourneyStep(at, kind, title, m.state, references, detail, m.id, raw)]
    if as2 is not None and as2.mdn_received_at is not None:
        steps.append(
            JourneyStep(
                as2.mdn_received_at,
                "mdn",
                f"MDN from {m.partner_id}",
                as2.mdn_disposition,
                {"Message-ID": as2.as2_message_id},
                "signed" if as2.mdn_signed else "unsigned",
                m.id,
                f"{raw}?part=mdn" if as2.has_mdn else None,
            )
        )
    if m.ack_state is not None and m.ack_received_at is not None:
        steps.append(
            JourneyStep(
                m.ack_received_at,
                "ack",
                f"997/999 from {m.partner_id}",
                m.ack_state,
                {"GS06": str(m.group_control_number)},
                "",
                m.id,
                f"{raw}?part=ack",
            )
        )
    return steps


def _control_numbers(m: MessageView) -> dict[str, str]:
    icn = m.interchange_control_number
    return {
        "ISA13": "" if icn is None else f"{icn:09d}",
        "GS06": "" if m.group_control_number is None else str(m.group_control_number),
        "ST02": m.transaction_control_numbers or "",
    }


def _document_step(d: BusinessDocumentView) -> JourneyStep:
    references = {"ISA13": d.interchange_control_number, "ST02": d.control_number}
    return JourneyStep(
        d.received_at,
        d.transaction_set,
        f"{d.transaction_set} from {d.partner_id}",
        "received",
        references,
        _summary_line(d.summary),
        raw=f"/documents/{d.id}/raw?kind=partner",
    )


def _summary_line(summary: str) -> str:
    data = json.loads(summary)
    if not isinstance(data, dict):
        return str(data)
    return ", ".join(f"{k}: {v}" for k, v in data.items() if isinstance(v, str | int | float))


#: Certificate warning levels by days left: the dashboard colours them.
CERTIFICATE_LEVELS = ((7, "critical"), (14, "warning"), (30, "notice"), (60, "upcoming"))


@dataclass(frozen=True, slots=True)
class CertificateStatus:
    """A certificate as the partners page shows it."""

    owner: str  # "ours" or the partner's AS2 name
    subject: str
    not_after: dt.datetime
    days_left: int
    level: str  # ok | upcoming (60 days) | notice (30) | warning (14) | critical (7) | expired


@dataclass(frozen=True, slots=True)
class PartnerStatus:
    """A partner's transport health, queue and certificates."""

    id: str
    name: str
    transport: str  # as2 | sftp | directory
    endpoint: str  # URL, sftp://host:port/dir, or folder
    health: str  # ok | failing | idle
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None
    last_failure: str | None
    queue: dict[str, int]
    certificates: tuple[CertificateStatus, ...]


def certificate_status(
    owner: str, certificate: x509.Certificate, now: dt.datetime
) -> CertificateStatus:
    """How close `certificate` is to expiry, as a level the dashboard colours."""
    days = days_until_expiry(certificate, now=now)
    level = "expired" if days < 0 else next((n for d, n in CERTIFICATE_LEVELS if days <= d), "ok")
    return CertificateStatus(
        owner, certificate.subject.rfc4514_string(), certificate.not_valid_after_utc, days, level
    )


def partner_status(
    profile: PartnerProfile,
    activity: PartnerActivity | None,
    certificates: tuple[CertificateStatus, ...],
) -> PartnerStatus:
    """A partner's profile and what the queue says about it, as one status."""
    activity = activity or PartnerActivity()
    return PartnerStatus(
        id=profile.id,
        name=profile.name,
        transport=profile.transport.kind,
        endpoint=_endpoint(profile),
        health=_health(activity),
        last_success_at=activity.last_success_at,
        last_failure_at=activity.last_failure_at,
        last_failure=activity.last_failure,
        queue=dict(activity.queue),
        certificates=certificates,
    )


def _endpoint(profile: PartnerProfile) -> str:
    t = profile.transport
    if isinstance(t, As2Transport):
        return t.url
    if isinstance(t, SftpTransport):
        return f"sftp://{t.username}@{t.host}:{t.port}/{t.remote_dir}"
    return t.path


def _health(activity: PartnerActivity) -> str:
    failed, succeeded = activity.last_failure_at, activity.last_success_at
    if failed is not None and (succeeded is None or failed > succeeded):
        return "failing"
    if activity.queue.get("dead") or activity.queue.get("failed"):
        return "failing"
    return "ok" if succeeded is not None else "idle"
