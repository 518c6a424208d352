"""JSON shapes of store views, shared by the HTTP API and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Any

from b2b.store import BusinessDocumentView, InboundView, MessageView, RejectionView


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
