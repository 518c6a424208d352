"""What every supplier document sent back to Coupa shares: the envelope, references and values.

A partner's 855, 856 and 810 become a cXML ConfirmationRequest, ShipNoticeRequest and
InvoiceDetailRequest (`confirmation`, `ship_notice`, `invoice`). Each is posted with the supplier's
credentials and names the purchase order it answers by an `OrderReference`:

    >>> order = OrderReference(po.number, po.order_date, payload_id=received.document_key)
    >>> confirmation_request(doc, order=order, credentials=creds, payload_id=pid, timestamp=now)

Documents are built with lxml, so text and attributes are escaped; characters XML cannot carry
at all become U+FFFD. Dates that X12 gives without a time become midnight in the zone of the
document's `timestamp`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from b2b.documents import Address, DocumentParty, ProductIdKind, PurchaseOrder

__all__ = ["CxmlCredentials", "OrderReference", "UnitTranslation"]

CXML_VERSION = "1.2.063"
FULFILL_DTD_URL = f"http://xml.cxml.org/schemas/cXML/{CXML_VERSION}/Fulfill.dtd"
INVOICE_DETAIL_DTD_URL = f"http://xml.cxml.org/schemas/cXML/{CXML_VERSION}/InvoiceDetail.dtd"
LANG = "en"  # xml:lang of names and descriptions: X12 documents do not say their language

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class OrderReference:
    """The purchase order a supplier document answers, as Coupa sent it.

    `payload_id` is the payloadID of the original OrderRequest; when it is not known, the order
    number stands in for it (cXML requires a DocumentReference; Coupa's own examples carry the PO
    number there). An `order_date` without a time zone is left out (cXML needs one).

        OrderReference("HMG-PO-100482", order_date=po.order_date, payload_id=received.document_key)
    """

    order_id: str
    order_date: dt.datetime | None = None
    payload_id: str | None = None


@dataclass(frozen=True, slots=True)
class UnitTranslation:
    """The partner's X12 units of measure back to Coupa's, for the lines of one order.

    `x12_units` is the partner's table (x12.uom: Coupa unit → X12 code, as the 850 used it) and
    `ordered` the order's units, by cXML line number, as Coupa sent them. A unit on a line of the
    order that is the line's own unit, or what the table made of it, becomes the line's unit;
    another unit becomes the one Coupa unit the table turns into it, when only one does; any
    other stays the X12 code. With nothing known (`UnitTranslation()`) every code stays.

        units = UnitTranslation.for_order(po, partner.x12.uom)  # line 1 in CS, uom CS = "CA"
        units.coupa_unit("1", "CA")  # 'CS'
    """

    x12_units: Mapping[str, str] = field(default_factory=dict)
    ordered: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def for_order(cls, order: PurchaseOrder, x12_units: Mapping[str, str]) -> UnitTranslation:
        """The translation for the lines of `order` with the partner's table `x12_units`."""
        ordered = {
            line_number(line.line_number, position): line.unit_of_measure
            for position, line in enumerate(order.lines, start=1)
        }
        return cls(x12_units, ordered)

    def coupa_unit(self, line_number: str, x12_unit: str) -> str:
        """The unit to tell Coupa for `x12_unit` on the order's line `line_number` (cXML's)."""
        ordered = self.ordered.get(line_number)
        if ordered is not None and x12_unit in (ordered, self.x12_units.get(ordered)):
            return ordered
        coupa = [unit for unit, code in self.x12_units.items() if code == x12_unit]
        return coupa[0] if len(coupa) == 1 else x12_unit


@dataclass(frozen=True, slots=True)
class CxmlCredentials:
    """The cXML Header of a supplier document: From (supplier), To (buyer), Sender with secret.

    CxmlCredentials("DUNS", "123456789", "NetworkID", "harborview-medical",
                    "DUNS", "123456789", shared_secret="...", user_agent="b2b gateway")
    """

    from_domain: str
    from_identity: str
    to_domain: str
    to_identity: str
    sender_domain: str
    sender_identity: str
    shared_secret: str = field(repr=False)
    user_agent: str


def element(
    parent: etree._Element | None,
    tag: str,
    text: str | None = None,
    /,
    lang: str | None = None,
    **attributes: str | None,
) -> etree._Element:
    """A new element (a child of `parent` when given); attributes that are None are left out.

    element(header, "Name", party.name, lang=LANG)
    """
    node = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
    if lang is not None:
        node.set(_XML_LANG, lang)
    for name, value in attributes.items():
        if value is not None:
            node.set(name, clean(value))
    if text is not None:
        node.text = clean(text)
    return node


def clean(value: str) -> str:
    """`value` with the characters XML 1.0 cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


def envelope(
    credentials: CxmlCredentials, *, payload_id: str, timestamp: dt.datetime
) -> tuple[etree._Element, etree._Element]:
    """The `cXML` root with its Header, and the empty `Request` to put the document in."""
    root = element(None, "cXML", lang="en-US", payloadID=payload_id, timestamp=tz(timestamp))
    header = element(root, "Header")
    _credential(element(header, "From"), credentials.from_domain, credentials.from_identity)
    _credential(element(header, "To"), credentials.to_domain, credentials.to_identity)
    sender = element(header, "Sender")
    credential = _credential(sender, credentials.sender_domain, credentials.sender_identity)
    element(credential, "SharedSecret", credentials.shared_secret)
    element(sender, "UserAgent", credentials.user_agent)
    return root, element(root, "Request", deploymentMode="production")


def _credential(parent: etree._Element, domain: str, identity: str) -> etree._Element:
    credential = element(parent, "Credential", domain=domain)
    element(credential, "Identity", identity)
    return credential


def serialize(root: etree._Element, dtd_url: str) -> bytes:
    """The document as UTF-8 bytes with its XML declaration and `<!DOCTYPE cXML SYSTEM ...>`."""
    prolog = f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE cXML SYSTEM "{dtd_url}">\n'
    return prolog.encode("ascii") + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def order_reference(parent: etree._Element, order: OrderReference) -> etree._Element:
    """`<OrderReference orderID orderDate><DocumentReference payloadID/></OrderReference>`."""
    known = order.order_date is not None and order.order_date.utcoffset() is not None
    date = tz(order.order_date) if known and order.order_date is not None else None
    reference = element(parent, "OrderReference", orderID=order.order_id, orderDate=date)
    element(reference, "DocumentReference", payloadID=order.payload_id or order.order_id)
    return reference


def tz(value: dt.datetime) -> str:
    """A cXML datetime.tz ("2024-06-10T09:18:40-07:00"); ValueError for a naive datetime."""
    if value.utcoffset() is None:
        raise ValueError(f"cXML date-times need a time zone: {value.isoformat()}")
    return value.isoformat(timespec="seconds")


def on(date: dt.date, timestamp: dt.datetime, time: dt.time | None = None) -> str:
    """`date` (at `time`, else midnight) in the zone of `timestamp`, as a cXML datetime.tz."""
    return tz(dt.datetime.combine(date, time or dt.time(0), tzinfo=timestamp.tzinfo))


def number(value: Decimal) -> str:
    """A quantity or rate in plain decimal notation ("2.5", "10")."""
    return format(value, "f")


def amount(value: Decimal) -> str:
    """A money amount: at least two decimals ("124.00"), more only when the value has them."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(_CENT)
    return format(value, "f")


def money(parent: etree._Element, tag: str, value: Decimal, currency: str) -> etree._Element:
    """`<tag><Money currency>value</Money></tag>`."""
    wrapper = element(parent, tag)
    element(wrapper, "Money", amount(value), currency=currency)
    return wrapper


def line_number(value: str | None, position: int) -> str:
    """The buyer's line number as a cXML uint ("000010" → "10"), else the 1-based `position`."""
    if value is not None and value.isascii() and value.isdigit():
        return str(int(value))
    return str(position)


def item_id(parent: etree._Element, product_ids: Sequence[tuple[str, str]]) -> None:
    """`<ItemID>` with SupplierPartID (VP) and BuyerPartID (BP); nothing without a VP."""
    ids = dict(reversed(product_ids))  # the first of each qualifier wins
    supplier_part = ids.get(ProductIdKind.VENDOR_PART)
    if supplier_part is None:
        return
    node = element(parent, "ItemID")
    element(node, "SupplierPartID", supplier_part)
    auxiliary = ids.get(ProductIdKind.VENDOR_AUXILIARY)
    if auxiliary is not None:
        element(node, "SupplierPartAuxiliaryID", auxiliary)
    buyer_part = ids.get(ProductIdKind.BUYER_PART)
    if buyer_part is not None:
        element(node, "BuyerPartID", buyer_part)


def contact(parent: etree._Element, party: DocumentParty, role: str) -> bool:
    """`<Contact role addressID>` with Name, PostalAddress and Email; False for a nameless party."""
    if party.name is None:
        return False
    node = element(parent, "Contact", role=role, addressID=party.identifier)
    element(node, "Name", party.name, lang=LANG)
    if party.address is not None:
        postal_address(node, party.address)
    if party.contact is not None and party.contact.email:
        element(node, "Email", party.contact.email)
    return True


def postal_address(parent: etree._Element, address: Address) -> None:
    """`<PostalAddress>`, only when the address has what cXML requires: street, city, country."""
    if not (address.street and address.city and address.country):
        return
    node = element(parent, "PostalAddress")
    for street in address.street:
        element(node, "Street", street)
    element(node, "City", address.city)
    if address.state:
        element(node, "State", address.state)
    if address.postal_code:
        element(node, "PostalCode", address.postal_code)
    element(node, "Country", address.country, isoCountryCode=address.country)
