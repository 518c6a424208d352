"""Coupa's own REST XML (`order-header`, `order-headers type="array"`) → ReceivedOrder.

    >>> (received,) = parse_order_headers(body)
    >>> received.document_key, received.recipients
    ('7301:v1', (Credential(domain='supplier-number', identity='ACME-001'),))

Coupa writes dashed element names and `type=` attributes; `nil="true"` and empty elements both
mean "absent". Field names follow Coupa's Purchasing API (OrderHeader, OrderLine). Choices:
- number: `po-number` when present, else the order-header `id` (Coupa's PO number).
- `version` absent or nil → 1. Type: status cancelled or closed → delete (the supplier is to
  deliver nothing more; the key gains ":cancelled"/":closed", as Coupa may not raise the version);
  version > 1 → update; else new.
- `OrderAmountLine` (a service or amount line, no quantity): quantity 1, unit price = `price`
  (else `total`), unit of measure = the line's `uom/code`, else "EA".
- order date = `created-at`; total = the sum of the lines' `total` when every line has one.
- parties: ship-to-address (+ ship-to-attention, ship-to-user as contact), bill-to-address if
  present, supplier (number as identifier, primary address and contact), requester as END_USER.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from b2b.coupa import _coupa_parts as parts
from b2b.coupa._coupa_parts import value
from b2b.coupa._values import collapsed, date, decimal, index, integer, timestamp
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
from b2b.partners.registry import SUPPLIER_NUMBER_DOMAIN
from b2b.xmlsafe import parse_xml

__all__ = ["parse_order_headers"]

_AMOUNT_LINE = "OrderAmountLine"
_AMOUNT_LINE_UOM = "EA"
_TERM_FIELDS = ("code", "days-for-net-payment", "days-for-discount-payment", "discount-rate")
_LINE_IDS = (
    ("source-part-num", ProductIdKind.VENDOR_PART),
    ("supp-aux-part-num", ProductIdKind.VENDOR_AUXILIARY),
    ("manufacturer-part-number", ProductIdKind.MANUFACTURER_PART),
)


def parse_order_headers(body: bytes) -> tuple[ReceivedOrder, ...]:
    """Parse one `order-header` or an `order-headers` array into one ReceivedOrder each.

    for received in parse_order_headers(request.body): ...
    """
    root = parse_xml(body)
    if root.tag == "order-header":
        return (_received(root),)
    if root.tag != "order-headers":
        raise MalformedDocument(f"expected Coupa order-header or order-headers, got {root.tag}")
    headers = list(root.iterchildren("order-header"))
    if not headers:
        raise InvalidDocument("order-headers has no order-header")
    return tuple(_received(header) for header in headers)


def _received(header: etree._Element) -> ReceivedOrder:
    fields = index(header)
    header_id = value(fields.get("id"))
    if header_id is None:
        raise InvalidDocument("order-header/id is missing")
    where = f"order-header {header_id}"
    version_text = value(fields.get("version"))
    version = integer(version_text, f"{where}: version") if version_text else 1
    supplier_number = value(index(fields.get("supplier")).get("number"))
    recipients = (Credential(SUPPLIER_NUMBER_DOMAIN, supplier_number),) if supplier_number else ()
    status = (value(fields.get("status")) or "").lower()
    ended = f":{status}" if status in _ENDED else ""  # a cancellation keeps the version
    return ReceivedOrder(
        source_format=SourceFormat.COUPA_XML,
        document_key=f"{header_id}:v{version}{ended}",
        order=_purchase_order(fields, header_id, version, where),
        recipients=recipients,
    )


def _purchase_order(
    fields: dict[str, etree._Element], header_id: str, version: int, where: str
) -> PurchaseOrder:
    currency = value(index(fields.get("currency")).get("code"))
    lines = _lines(fields.get("order-lines"), currency, where)
    currency = currency or next((ln.unit_price.currency for ln, _ in lines if ln.unit_price), None)
    created = value(fields.get("created-at"))
    return PurchaseOrder(
        number=value(fields.get("po-number")) or header_id,
        order_type=_order_type(value(fields.get("status")), version),
        lines=tuple(line for line, _ in lines),
        version=version,
        order_date=timestamp(created, f"{where}: created-at") if created else None,
        currency=currency,
        total=_total([total for _, total in lines], currency),
        parties=parts.parties(fields),
        payment_terms=_payment_terms(fields.get("payment-term"), where),
        shipping_terms=value(index(fields.get("shipping-term")).get("code")),
        comments=tuple(c for c in (collapsed(value(fields.get("comments"))),) if c),
    )


_ENDED = frozenset({"cancelled", "canceled", "closed"})


def _order_type(status: str | None, version: int) -> OrderType:
    if status is not None and status.lower() in _ENDED:
        return OrderType.DELETE
    return OrderType.UPDATE if version > 1 else OrderType.NEW


def _total(totals: list[Decimal | None], currency: str | None) -> Money | None:
    if currency is None or any(t is None for t in totals):
        return None
    return Money(amount=sum((t for t in totals if t is not None), Decimal(0)), currency=currency)


def _payment_terms(term: etree._Element | None, where: str) -> PaymentTerms | None:
    fields = index(term)
    texts = {tag: value(fields.get(tag)) for tag in _TERM_FIELDS}
    if not any(texts.values()):
        return None
    net, discount_days, rate = (texts[t] for t in _TERM_FIELDS[1:])
    where = f"{where}: payment-term"
    return PaymentTerms(
        description=texts["code"],
        net_days=integer(net, f"{where}/days-for-net-payment") if net else None,
        discount_percent=decimal(rate, f"{where}/discount-rate") if rate else None,
        discount_days=integer(discount_days, f"{where}/days-for-discount-payment")
        if discount_days
        else None,
    )


def _lines(
    order_lines: etree._Element | None, currency: str | None, where: str
) -> list[tuple[OrderLine, Decimal | None]]:
    elements = list(order_lines.iterchildren("order-line")) if order_lines is not None else []
    if not elements:
        raise InvalidDocument(f"{where} has no order-lines/order-line")
    return [_line(e, n, currency, where) for n, e in enumerate(elements, start=1)]


def _line(
    element: etree._Element, position: int, currency: str | None, where: str
) -> tuple[OrderLine, Decimal | None]:
    """The line and its `total` (for the order total)."""
    fields = index(element)
    line_number = value(fields.get("line-num")) or str(position)
    where = f"{where} order-line {line_number}"
    quantity, uom, price = _quantity_uom_price(fields, where)
    total = value(fields.get("total"))
    need_by = value(fields.get("need-by-date"))
    return OrderLine(
        line_number=line_number,
        quantity=quantity,
        unit_of_measure=uom,
        unit_price=_unit_price(price, fields, currency, where),
        description=collapsed(value(fields.get("description"))),
        product_ids=_product_ids(fields),
        need_by=date(need_by, f"{where}: need-by-date") if need_by else None,
    ), decimal(total, f"{where}: total") if total else None


def _quantity_uom_price(
    fields: dict[str, etree._Element], where: str
) -> tuple[Decimal, str, str | None]:
    uom = value(index(fields.get("uom")).get("code"))
    price = value(fields.get("price"))
    if value(fields.get("type")) == _AMOUNT_LINE:
        return Decimal(1), uom or _AMOUNT_LINE_UOM, price or value(fields.get("total"))
    quantity = value(fields.get("quantity"))
    if quantity is None:
        raise InvalidDocument(f"{where}: quantity is missing")
    if uom is None:
        raise InvalidDocument(f"{where}: uom/code is missing")
    return decimal(quantity, f"{where}: quantity", negative=False), uom, price


def _unit_price(
    price: str | None, fields: dict[str, etree._Element], currency: str | None, where: str
) -> Money | None:
    if price is None:
        return None
    currency = value(index(fields.get("currency")).get("code")) or currency
    if currency is None:
        raise InvalidDocument(f"{where}: currency/code is missing")
    return Money(amount=decimal(price, f"{where}: price"), currency=currency)


def _product_ids(fields: dict[str, etree._Element]) -> tuple[tuple[ProductIdKind, str], ...]:
    found = [(kind, text) for tag, kind in _LINE_IDS if (text := value(fields.get(tag)))]
    if item_number := value(index(fields.get("item")).get("item-number")):
        found.append((ProductIdKind.BUYER_PART, item_number))
    return tuple(found)
