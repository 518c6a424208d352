"""Coupa in and out: cXML OrderRequest and Coupa order-header XML in, cXML Response out, and
the supplier's documents back (ConfirmationRequest, ShipNoticeRequest, InvoiceDetailRequest).

>>> received = parse_order_request(body)          # cXML
>>> orders = parse_order_headers(body)            # Coupa REST XML
>>> render_cxml_response(200, "OK", payload_id=new_payload_id("gw.example"), timestamp=now)
>>> confirmation_request(doc, order=OrderReference(po.number), credentials=creds, payload_id=pid,
...                      timestamp=now)
"""

from __future__ import annotations

from b2b.coupa.confirmation import confirmation_request
from b2b.coupa.coupa_xml import parse_order_headers
from b2b.coupa.cxml import parse_order_request
from b2b.coupa.invoice import invoice_detail_request
from b2b.coupa.response import CXML_DTD_URL, new_payload_id, render_cxml_response
from b2b.coupa.ship_notice import ship_notice_request
from b2b.coupa.supplier import CxmlCredentials, OrderReference

__all__ = [
    "CXML_DTD_URL",
    "CxmlCredentials",
    "OrderReference",
    "confirmation_request",
    "invoice_detail_request",
    "new_payload_id",
    "parse_order_headers",
    "parse_order_request",
    "render_cxml_response",
    "ship_notice_request",
]
