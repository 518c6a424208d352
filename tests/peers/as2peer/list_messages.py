"""Print the peer's Message rows (and their MDNs) as one JSON list, oldest first.

usage: python list_messages.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

BASE = Path(__file__).resolve().parent
FIELDS = (
    "message_id",
    "direction",
    "status",
    "detailed_status",
    "partner_id",
    "organization_id",
    "signed",
    "encrypted",
    "compressed",
    "mdn_mode",
    "mic",
)


def rows() -> list[dict[str, Any]]:
    """One dict per Message, with "mdn_status"/"mdn_signed" from its Mdn row (None if none)."""
    sys.path.insert(0, str(BASE))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "as2peer_site.settings")
    import django  # type: ignore[import-not-found]

    django.setup()
    from pyas2.models import Mdn, Message  # type: ignore[import-not-found]

    mdns = {m.message_id: m for m in Mdn.objects.all()}
    found = []
    for message in Message.objects.order_by("id"):
        row = {field: getattr(message, field) for field in FIELDS}
        mdn = mdns.get(message.id)
        row["mdn_status"] = mdn.status if mdn else None
        row["mdn_signed"] = mdn.signed if mdn else None
        found.append(row)
    return found


if __name__ == "__main__":
    print(json.dumps(rows()))
