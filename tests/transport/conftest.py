"""Fixtures for transport tests: an X12 850 interchange to deliver."""

from __future__ import annotations

import pytest

SEGMENTS = (
    "ISA*00*          *00*          *ZZ*COUPABUYER     *ZZ*ACMESUPPLY     "
    "*261128*1533*U*00401*000000007*0*P*>",
    "GS*PO*COUPABUYER*ACMESUPPLY*20261128*1533*7*X*004010",
    "ST*850*0001",
    "BEG*00*SA*4711**20261128",
    "REF*DP*038",
    "PER*BD*Jane Buyer*EM*jane.buyer@example.com",
    "DTM*002*20261205",
    "N1*ST*Acme Receiving Dock 4*92*DOCK4",
    "N3*100 Industrial Way",
    "N4*Springfield*IL*62701*US",
    "PO1*1*12*EA*18.50**VP*WID-0042*BP*100234",
    "PID*F****Widget, stainless, 42 mm",
    "PO1*2*3*BX*112**VP*GAS-7*BP*100977",
    "PID*F****Gasket set (box of 50)",
    "CTT*2",
    "SE*14*0001",
    "GE*1*7",
    "IEA*1*000000007",
)


@pytest.fixture
def interchange() -> bytes:
    """An X12 850 interchange with CRLF after each segment terminator (bytes must survive)."""
    return "".join(segment + "~\r\n" for segment in SEGMENTS).encode("ascii")
