"""Keys made once per session, and the corpus of other products' AS2 captures."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from b2b.as2 import Digest, Encryption, KeyPair, LocalIdentity, PartnerSecurity, new_self_signed
from b2b.as2.mime import parse_headers, split_head

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
AS2_CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "as2"
X12 = (
    b"ISA*00*          *00*          *ZZ*B2BGATEWAY     *01*123456789      *261128*0930*U*"
    b"00401*000004711*1*T*>~\nGS*PO*B2BGATEWAY*123456789*20261128*0930*4711*X*004010~\n"
    b"ST*850*0001~\nBEG*00*SA*HMG-PO-100482**20240610~\n"
    + b"".join(b"PO1*%d*%d*EA*12.50**VP*PART-%05d~\n" % (n, n * 3, n) for n in range(1, 60))
    + b"CTT*59~\nSE*63*0001~\nGE*1*4711~\nIEA*1*000004711~\n"
)

Lookup = Callable[[str, str], tuple[LocalIdentity, PartnerSecurity] | None]


@pytest.fixture(scope="session")
def alice() -> KeyPair:
    """Our key (the gateway, AS2 name ALICE)."""
    return new_self_signed("ALICE", now=NOW)


@pytest.fixture(scope="session")
def bob() -> KeyPair:
    """The trading partner's key (AS2 name BOB)."""
    return new_self_signed("BOB", now=NOW)


@pytest.fixture(scope="session")
def mallory() -> KeyPair:
    """Someone else's key: a forger, or a certificate that is not the partner's."""
    return new_self_signed("MALLORY", now=NOW)


def lookup(ours: LocalIdentity, partner: PartnerSecurity) -> Lookup:
    """find_partner for one relationship: `partner` sending to `ours`, nobody else."""
    known = {(partner.as2_id, ours.as2_id): (ours, partner)}
    return lambda as2_from, as2_to: known.get((as2_from, as2_to))


def allowing_weak(partner: PartnerSecurity) -> PartnerSecurity:
    """`partner` with SHA-1 and 3DES accepted too, as `allow_weak = ["sha1", "3des"]` does."""
    return dataclasses.replace(
        partner, accept_digests=frozenset(Digest), accept_encryptions=frozenset(Encryption)
    )


@pytest.fixture
def as2_corpus() -> Path:
    """The AS2 captures of Mendelson and Sterling; skipped, saying so, when absent."""
    if not AS2_CORPUS.is_dir():
        pytest.skip(f"the shared AS2 corpus is not at {AS2_CORPUS.resolve()}")
    return AS2_CORPUS


def read_capture(path: Path) -> tuple[tuple[tuple[str, str], ...], bytes]:
    """A capture file: the HTTP headers at the top, then the body."""
    data = path.read_bytes()
    head, start = split_head(data)
    return parse_headers(head).pairs(), data[start:]
