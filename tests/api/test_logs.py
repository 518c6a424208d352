"""A real gateway's log lines in JSON: the PO, message and partner of each step; no secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from b2b.logs import handler
from tests.api.conftest import GatewayFactory
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO

SECRET = b"demo-secret"  # the sample's SharedSecret


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Every INFO line of this process, as the JSON handler writes it."""
    stream = io.StringIO()
    root, made = logging.getLogger(), handler("json", stream)
    level = root.level
    root.addHandler(made)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(made)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_send_is_logged_with_its_po_message_partner_and_isa13(
    start_gateway: GatewayFactory, json_log: io.StringIO
) -> None:
    gateway = start_gateway(coupa_shared_secret=SECRET.decode())
    assert gateway.post_cxml(SAMPLE).status_code == 200
    message = gateway.wait_for(SAMPLE_PO, "sent")
    [sent] = [x for x in _lines(json_log) if x["message"].startswith("sent message")]
    assert sent["logger"] == "b2b.outbound"
    assert (sent["po"], sent["message_id"], sent["partner"]) == (SAMPLE_PO, message["id"], "acme")
    assert sent["control_number"] == message["control_numbers"]["ISA13"]


def test_a_refused_order_is_logged_with_its_po_and_without_the_secret_or_the_body(
    start_gateway: GatewayFactory, json_log: io.StringIO
) -> None:
    gateway = start_gateway(coupa_shared_secret=SECRET.decode())
    wrong = SAMPLE.replace(SECRET, b"a-guess-at-the-secret")
    assert gateway.post_cxml(wrong).status_code == 401
    [refused] = [x for x in _lines(json_log) if x["message"].startswith("rejected cxml")]
    assert refused["po"] == SAMPLE_PO
    assert refused["payload_id"]
    written = json_log.getvalue()
    assert "a-guess-at-the-secret" not in written
    assert SECRET.decode() not in written
    assert "<cXML" not in written
