"""File names a transport will write: one safe name, or PermanentTransportError."""

from __future__ import annotations

import pytest

from b2b.errors import PermanentTransportError
from b2b.transport import OutboundFile, validate_filename
from b2b.transport.base import temporary_name


@pytest.mark.parametrize(
    "name",
    [
        "850_000000007.x12",
        "ACME-PO-4711.edi",
        "po#4711@acme+v2.txt",
        "x" * 255,
    ],
)
def test_safe_names_are_accepted(name: str) -> None:
    assert validate_filename(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../850.x12",
        "outbox/850.x12",
        "outbox\\850.x12",
        "850..x12",
        "..",
        ".hidden.x12",
        "850 0001.x12",
        "850\t.x12",
        "850\n.x12",
        "850\x00.x12",
        "bestellung_\u00fc.x12",
        "x" * 256,
    ],
)
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(PermanentTransportError, match="unsafe file name"):
        OutboundFile(message_id=1, partner_id="acme", filename=name, data=b"ISA")


def test_the_temporary_name_must_be_safe_too() -> None:
    assert temporary_name("850_1.x12", ".part") == "850_1.x12.part"
    with pytest.raises(PermanentTransportError):
        temporary_name("x" * 252, ".part")
    with pytest.raises(PermanentTransportError):
        temporary_name("850_1.x12", "/../part")


def test_the_payload_is_kept_out_of_the_repr() -> None:
    item = OutboundFile(message_id=1, partner_id="acme", filename="850_1.x12", data=b"ISA*00")

    assert "ISA" not in repr(item)
    assert len(item.sha256) == 64
