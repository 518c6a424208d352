"""cXML OrderRequest → ReceivedOrder.

    >>> received = parse_order_request(request_body)
    >>> received.document_key, received.order.number
    ('1718036322.48213.7731942@procure.harborview-medical.example', 'HMG-PO-100482')

Choices where cXML leaves room:
- `ItemOut@lineNumber` absent → the line's position, counting from 1.
- `ItemOut@requestedDeliveryDate` absent → the header's `requestedDeliveryDate`, if any.
- `Description` → the first one, whitespace runs (line breaks included) collapsed to one space.
- `Classification` → the UNSPSC one if there is one, else the first.
- shipping terms → `Shipping/Description`, else `ShipTo/TransportInformation/Route@method`, else
  its `ShippingInstructions/Description`.
- `PaymentTerm` with a `Discount` gives the discount (percent and days); one without gives the
  net days: `2% 10, net 30` arrives as two PaymentTerm elements.
- `Contact@role` buyer → BUYER party, endUser → END_USER party; other roles are not carried.

Where an element may appear once, the first one counts. Each element's children are read in
one pass (`index`, `index_many`, or a loop on the tag): this is on the hot path of every order.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from b2b.coupa import _build as build
from b2b.coupa import _cxml_parts as parts
from b2b.coupa._values import child, date, decimal, index, index_many, integer, text_of, timestamp
from b2b.documents import (
    Credential,
    Money,
    OrderLine,
    OrderType,
    PaymentTerms,
    ProductIdKind,
    PurchaseOrder,
    ReceivedOrder,
    SourceFormat,
)
from b2b.errors import InvalidDocument, MalformedDocument
from b2b.xmlsafe import parse_xml

__all__ = ["parse_order_request"]

_ITEM_IDS = {
    "SupplierPartID": ProductIdKind.VENDOR_PART,
    "SupplierPartAuxiliaryID": ProductIdKind.VENDOR_AUXILIARY,
    "BuyerPartID": ProductIdKind.BUYER_PART,
}
_ITEM_ID_ORDER = tuple(_ITEM_IDS.values())
_ORDER_TYPES = {t.value: t for t in OrderType}
_HEADER_REPEATED = ("Contact", "PaymentTerm", "Comments")


def parse_order_request(body: bytes) -> ReceivedOrder:
    """Parse a cXML OrderRequest; MalformedDocument or InvalidDocument say what is wrong.

    received = parse_order_request(request.body)
    """
    root = parse_xml(body)
    order_request = _order_request(root)
    payload_id = (root.get("payloadID") or "").strip()
    if not payload_id:
        raise InvalidDocument("cXML@payloadID is missing")
    header = _required(index(root), "Header", "cXML")
    fields = index(header)
    credential = child(fields.get("Sender"), "Credential")
    return build.ReceivedOrder(
        source_format=SourceFormat.CXML,
        document_key=payload_id,
        order=_purchase_order(order_request),
        recipients=_recipients(fields.get("To")),
        originators=_originators(fields.get("From")),
        sender=_credential(credential, "Header/Sender") if credential is not None else None,
        shared_secret=text_of(child(credential, "SharedSecret")),
    )


def _order_request(root: etree._Element) -> etree._Element:
    request = child(root, "Request") if root.tag == "cXML" else None
    found = child(request, "OrderRequest")
    if found is not None:
        return found
    raise MalformedDocument(f"expected cXML OrderRequest, got {_kind(root)}")


def _kind(root: etree._Element) -> str:
    """What the document is instead: "order-header", "cXML/Request/ProfileRequest"..."""
    path = [root]
    message = next((c for c in root if c.tag != "Header"), None) if root.tag == "cXML" else None
    if message is not None:
        path.append(message)
        if message.tag in ("Request", "Message") and len(message):
            path.append(message[0])
    return "/".join(str(e.tag) for e in path)


def _required(fields: dict[str, etree._Element], tag: str, where: str) -> etree._Element:
    found = fields.get(tag)
    if found is None:
        raise InvalidDocument(f"{where}/{tag} is missing")
    return found


def _recipients(to: etree._Element | None) -> tuple[Credential, ...]:
    if to is None:
        return ()
    return tuple(_credential(c, "Header/To") for c in to if c.tag == "Credential")


def _originators(party: etree._Element | None) -> tuple[Credential, ...]:
    """The From credentials that are complete: only used to find the buyer, never required."""
    found = []
    for element in party if party is not None else ():
        domain = (element.get("domain") or "").strip() if element.tag == "Credential" else ""
        identity = text_of(child(element, "Identity")) if domain else None
        if identity is not None:
            found.append(build.Credential(domain=domain, identity=identity))
    return tuple(found)


def _credential(element: etree._Element, where: str) -> Credential:
    domain = (element.get("domain") or "").strip()
    identity = text_of(child(element, "Identity"))
    if not domain:
        raise InvalidDocument(f"{where}/Credential@domain is missing")
    if identity is None:
        raise InvalidDocument(f"{where}/Credential/Identity is missing")
    return build.Credential(domain=domain, identity=identity)


def _purchase_order(order_request: etree._Element) -> PurchaseOrder:
    first, every = index_many(order_request, "ItemOut")
    header = _required(first, "OrderRequestHeader", "OrderRequest")
    items = every["ItemOut"]
    if not items:
        raise InvalidDocument("OrderRequest has no ItemOut lines")
    fields, repeated = index_many(header, *_HEADER_REPEATED)
    total = _total(fields)
    need_by = header.get("requestedDeliveryDate")
    return build.PurchaseOrder(
        number=_order_id(header),
        order_type=_order_type(header),
        lines=tuple([_line(item, n, need_by) for n, item in enumerate(items, start=1)]),
        version=_order_version(header),
        order_date=_order_date(header),
        currency=total.currency if total else None,
        total=total,
        parties=parts.parties(fields, repeated["Contact"]),
        payment_terms=_payment_terms(repeated["PaymentTerm"]),
        shipping_terms=parts.shipping_terms(fields),
        comments=parts.comments(repeated["Comments"]),
    )


def _total(fields: dict[str, etree._Element]) -> Money | None:
    money = child(fields.get("Total"), "Money")
    return parts.money(money, "OrderRequestHeader/Total/Money") if money is not None else None


def _order_id(header: etree._Element) -> str:
    order_id = (header.get("orderID") or "").strip()
    if not order_id:
        raise InvalidDocument("OrderRequestHeader@orderID is missing")
    return order_id


def _order_type(header: etree._Element) -> OrderType:
    value = (header.get("type") or "new").strip()
    found = _ORDER_TYPES.get(value)
    if found is None:
        allowed = ", ".join(t.value for t in OrderType)
        raise InvalidDocument(f"OrderRequestHeader@type: {value!r} is not one of {allowed}")
    return found


def _order_version(header: etree._Element) -> int | None:
    value = header.get("orderVersion")
    return integer(value, "OrderRequestHeader@orderVersion") if value else None


def _order_date(header: etree._Element) -> dt.datetime | None:
    value = header.get("orderDate")
    return timestamp(value, "OrderRequestHeader@orderDate") if value else None


def _payment_terms(terms: list[etree._Element]) -> PaymentTerms | None:
    if not terms:
        return None
    net_days = discount_days = None
    discount_percent = None
    for term in terms:
        days = _days(term)
        discount = child(child(term, "Discount"), "DiscountPercent")
        if discount is None:
            net_days = days
            continue
        percent = discount.get("percent")
        where = "PaymentTerm/Discount/DiscountPercent@percent"
        discount_percent = decimal(percent, where) if percent else None
        discount_days = days
    return build.PaymentTerms(
        net_days=net_days, discount_percent=discount_percent, discount_days=discount_days
    )


def _days(term: etree._Element) -> int | None:
    value = term.get("payInNumberOfDays")
    return integer(value, "PaymentTerm@payInNumberOfDays") if value else None


def _line(item: etree._Element, position: int, header_need_by: str | None) -> OrderLine:
    line_number = (item.get("lineNumber") or "").strip() or str(position)
    where = f"ItemOut line {line_number}"
    quantity = item.get("quantity")
    if quantity is None:
        raise InvalidDocument(f"{where}: @quantity is missing")
    item_id = detail = None
    comments = []
    for element in item:  # one pass: ItemID, ItemDetail, Comments
        tag = element.tag
        if tag == "ItemDetail":
            detail = element if detail is None else detail
        elif tag == "ItemID":
            item_id = element if item_id is None else item_id
        elif tag == "Comments":
            comments.append(element)
    if detail is None:
        raise InvalidDocument(f"{where}/ItemDetail is missing")
    uom, price, description, classification, manufacturer_part = parts.item_detail(detail, where)
    amount = decimal(quantity, f"{where} @quantity", negative=False)
    unit_price = parts.money(price, f"{where} UnitPrice/Money") if price is not None else None
    need_by = item.get("requestedDeliveryDate") or header_need_by
    return build.OrderLine(
        line_number=line_number,
        quantity=amount,
        unit_of_measure=uom,
        unit_price=unit_price,
        description=description,
        product_ids=_product_ids(item_id, manufacturer_part),
        need_by=date(need_by, f"{where} @requestedDeliveryDate") if need_by else None,
        classification=classification,
        comments=parts.comments(comments) if comments else (),
    )


def _product_ids(
    item_id: etree._Element | None, manufacturer_part: str | None
) -> tuple[tuple[ProductIdKind, str], ...]:
    """ItemID's supplier, auxiliary and buyer part IDs, then ItemDetail's ManufacturerPartID."""
    first: dict[ProductIdKind, etree._Element] = {}
    for element in () if item_id is None else item_id:
        kind = _ITEM_IDS.get(element.tag)
        if kind is not None and kind not in first:
            first[kind] = element
    found = [(kind, value) for kind in _ITEM_ID_ORDER if (value := text_of(first.get(kind)))]
    if manufacturer_part:
        found.append((ProductIdKind.MANUFACTURER_PART, manufacturer_part))
    return tuple(found)
