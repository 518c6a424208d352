"""Coupa in and out: cXML OrderRequest and Coupa order-header XML in, cXML Response out, and
the supplier's documents back (ConfirmationRequest, ShipNoticeRequest, InvoiceDetailRequest).

>>> received = parse_order_request(body)          # cXML
>>> orders = parse_order_headers(body)            # Coupa REST XML
>>> render_cxml_response(200, "OK", payload_id=new_payload_id("gw.example"), timestamp=now)
>>> stored = redact_shared_secrets(body)          # no SharedSecret at rest
>>> codes = CxmlCodes.load(Path("maps/cxml/codes.toml"))  # the 855/856/810 code lists, once
>>> confirmation_request(doc, order=OrderReference(po.number), codes=codes, credentials=creds,
...                      payload_id=pid, timestamp=now, units=UnitTranslation.for_order(po, uom))
"""

from __future__ import annotations

from b2b.coupa.codes import CxmlCodes
from b2b.coupa.confirmation import confirmation_request
from b2b.coupa.coupa_xml import parse_order_headers
from b2b.coupa.cxml import parse_order_request
from b2b.coupa.invoice import invoice_detail_request
from b2b.coupa.redact import REDACTED, redact_shared_secrets, restore_shared_secret
from b2b.coupa.response import CXML_DTD_URL, new_payload_id, render_cxml_response
from b2b.coupa.ship_notice import ship_notice_request
from b2b.coupa.supplier import CxmlCredentials, OrderReference, UnitTranslation

__all__ = [
    "CXML_DTD_URL",
    "REDACTED",
    "CxmlCodes",
    "CxmlCredentials",
    "OrderReference",
    "UnitTranslation",
    "confirmation_request",
    "invoice_detail_request",
    "new_payload_id",
    "parse_order_headers",
    "parse_order_request",
    "redact_shared_secrets",
    "render_cxml_response",
    "restore_shared_secret",
    "ship_notice_request",
]
