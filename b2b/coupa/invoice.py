"""A partner's 810 (Invoice) as a cXML InvoiceDetailRequest for Coupa.

    InvoiceDetailRequestHeader  invoiceID BIG02, invoiceDate BIG01, purpose standard, operation
                                new; InvoicePartner remitTo (RI, RE), billTo (BT), soldTo (SO),
                                issuerOfInvoice (II); InvoiceDetailShipping when both SF and ST are
                                named; PaymentTerm per ITD (discount days with DiscountPercent, net)
    InvoiceDetailOrder          the order's OrderReference; one InvoiceDetailItem per IT1 (quantity,
                                UnitOfMeasure, UnitPrice, lineNumber IT101 else its position,
                                SubtotalAmount = quantity x price to the cent, line TXI as Tax)
    InvoiceDetailSummary        SubtotalAmount = the lines'; Tax = the TXIs (else SAC H850);
                                ShippingAmount = SAC charges D240/G830; SpecialHandlingAmount = the
                                other charges; InvoiceDetailDiscount = the allowances; GrossAmount,
                                NetAmount and DueAmount follow and must equal TDS01

Summary segments (TXI, SAC) are the invoice's; the lines' are used only when the summary has
none. An invoice whose amounts do not add up to TDS01 raises InvalidDocument naming them; a
credit memo (BIG07 CR or CN, or a negative total) or an 810 without IT1 lines raises MappingError.
The codes named here (BIG07 credits, SAC02 tax and shipping charges, TXI01 tax categories) are
`[invoice]` in maps/cxml/codes.toml, passed in as `codes`; IT103 goes back to the order's unit
through a UnitTranslation.

    >>> invoice_detail_request(doc, order=order, codes=codes, credentials=creds, payload_id=pid,
    ...                        timestamp=now, units=units)
    b'<?xml version="1.0" encoding="UTF-8"?>\\n<!DOCTYPE cXML SYSTEM ".../InvoiceDetail.dtd">...'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from b2b.coupa.codes import CxmlCodes, InvoiceCodes
from b2b.coupa.supplier import (
    INVOICE_DETAIL_DTD_URL,
    LANG,
    CxmlCredentials,
    OrderReference,
    UnitTranslation,
    amount,
    contact,
    element,
    envelope,
    item_id,
    line_number,
    money,
    number,
    on,
    order_reference,
    serialize,
)
from b2b.documents import (
    AllowanceCharge,
    AllowanceChargeIndicator,
    EntityRole,
    Invoice,
    InvoiceLine,
    Tax,
)
from b2b.errors import InvalidDocument, MappingError

__all__ = ["invoice_detail_request"]

_CENT = Decimal("0.01")
_PARTNER_ROLES = (
    (EntityRole.REMIT_TO, "remitTo"),
    (EntityRole.REMITTANCE_RECEIVER, "remitTo"),
    (EntityRole.BILL_TO, "billTo"),
    (EntityRole.SOLD_TO, "soldTo"),
    (EntityRole.INVOICE_ISSUER, "issuerOfInvoice"),
)


@dataclass(frozen=True, slots=True)
class _Amounts:
    """The InvoiceDetailSummary amounts; `net` is what the invoice asks to be paid."""

    subtotal: Decimal
    tax: Decimal
    shipping: Decimal
    special_handling: Decimal
    discount: Decimal

    @property
    def gross(self) -> Decimal:
        return self.subtotal + self.tax + self.shipping + self.special_handling

    @property
    def net(self) -> Decimal:
        return self.gross - self.discount


def invoice_detail_request(
    doc: Invoice,
    *,
    order: OrderReference,
    codes: CxmlCodes,
    credentials: CxmlCredentials,
    payload_id: str,
    timestamp: dt.datetime,
    currency: str | None = None,
    units: UnitTranslation | None = None,
) -> bytes:
    """The cXML InvoiceDetailRequest (InvoiceDetail.dtd) billing Coupa for `order`.

    `codes` says what the 810's codes mean (maps/cxml/codes.toml); `units` turns the partner's
    X12 units back into the order's (none: the X12 codes as they are). `timestamp` (with a time
    zone) is the document's; `currency` is the order's, used when the 810 has no CUR (USD when
    neither is known).

        invoice_detail_request(doc, order=order, codes=codes, credentials=creds, payload_id=pid,
                               timestamp=now, units=UnitTranslation.for_order(po, x12.uom))
    """
    rules = codes.invoice
    _check(doc, rules)
    currency = doc.currency or currency or "USD"
    amounts = _amounts(doc, rules)
    root, request = envelope(credentials, payload_id=payload_id, timestamp=timestamp)
    invoice = element(request, "InvoiceDetailRequest")
    _header(invoice, doc, timestamp)
    detail = element(invoice, "InvoiceDetailOrder")
    order_reference(element(detail, "InvoiceDetailOrderInfo"), order)
    for position, line in enumerate(doc.lines, start=1):
        _item(detail, line, position, currency, rules=rules, units=units or UnitTranslation())
    _summary(invoice, doc, amounts, currency, rules)
    return serialize(root, INVOICE_DETAIL_DTD_URL)


def _check(doc: Invoice, rules: InvoiceCodes) -> None:
    """Refuse what cannot be a Coupa invoice: credits, no lines, lines without a price."""
    name = f"810 invoice {doc.invoice_number}"
    if doc.transaction_type in rules.credit_types or doc.total < 0:
        raise MappingError(
            f"{name} is a credit (BIG07 {doc.transaction_type}, TDS01 {doc.total}):"
            " credit memos are not sent to Coupa as invoices"
        )
    if not doc.lines:
        raise MappingError(f"{name} has no IT1 lines: Coupa is sent line-item invoices only")
    for position, line in enumerate(doc.lines, start=1):
        if line.unit_price is None:
            raise InvalidDocument(f"{name}: IT1 {line.line_number or position} has no unit price")


def _amounts(doc: Invoice, rules: InvoiceCodes) -> _Amounts:
    """The summary amounts; InvalidDocument when they do not add up to TDS01."""
    charges = doc.charges or tuple(c for line in doc.lines for c in line.charges)
    other = _charges(charges, rules)
    amounts = _Amounts(
        subtotal=sum((_subtotal(line) for line in doc.lines), Decimal(0)),
        tax=_tax_total(doc, charges, rules),
        shipping=_sum(c for c in other if c.code in rules.shipping_charges),
        special_handling=_sum(c for c in other if c.code not in rules.shipping_charges),
        discount=_sum(c for c in charges if c.indicator is AllowanceChargeIndicator.ALLOWANCE),
    )
    if amounts.net != doc.total:
        raise InvalidDocument(
            f"810 invoice {doc.invoice_number}: lines {amounts.subtotal} + tax {amounts.tax}"
            f" + shipping {amounts.shipping} + other charges {amounts.special_handling}"
            f" - allowances {amounts.discount} = {amounts.net}, but TDS01 is {doc.total}"
        )
    return amounts


def _subtotal(line: InvoiceLine) -> Decimal:
    """Quantity x unit price, to the cent (half up)."""
    assert line.unit_price is not None  # checked by _check
    return (line.quantity * line.unit_price).quantize(_CENT, rounding=ROUND_HALF_UP)


def _taxes(doc: Invoice) -> tuple[Tax, ...]:
    """The summary TXIs, else the lines'."""
    return doc.taxes or tuple(tax for line in doc.lines for tax in line.taxes)


def _tax_total(doc: Invoice, charges: Sequence[AllowanceCharge], rules: InvoiceCodes) -> Decimal:
    taxes = _taxes(doc)
    if taxes:
        return sum((tax.amount for tax in taxes if tax.amount is not None), Decimal(0))
    charge = AllowanceChargeIndicator.CHARGE
    return _sum(c for c in charges if c.code == rules.tax_charge and c.indicator is charge)


def _charges(charges: Sequence[AllowanceCharge], rules: InvoiceCodes) -> list[AllowanceCharge]:
    """The SAC charges other than tax (a tax SAC restates a TXI or stands in for one)."""
    charge = AllowanceChargeIndicator.CHARGE
    return [c for c in charges if c.indicator is charge and c.code != rules.tax_charge]


def _sum(charges: Iterable[AllowanceCharge]) -> Decimal:
    return sum((c.amount for c in charges if c.amount is not None), Decimal(0))


def _header(parent: etree._Element, doc: Invoice, timestamp: dt.datetime) -> None:
    header = element(
        parent,
        "InvoiceDetailRequestHeader",
        invoiceID=doc.invoice_number,
        purpose="standard",
        operation="new",
        invoiceDate=on(doc.invoice_date, timestamp),
    )
    element(header, "InvoiceDetailHeaderIndicator")
    line_taxes = any(line.taxes for line in doc.lines)
    element(header, "InvoiceDetailLineIndicator", isTaxInLine="yes" if line_taxes else None)
    for role, cxml_role in _PARTNER_ROLES:
        party = doc.party(role)
        if party is not None and party.name is not None:
            contact(element(header, "InvoicePartner"), party, cxml_role)
    _shipping(header, doc, timestamp)
    for terms in doc.terms:
        _payment_terms(header, terms.discount_days, terms.discount_percent, terms.net_days)


def _shipping(parent: etree._Element, doc: Invoice, timestamp: dt.datetime) -> None:
    """`<InvoiceDetailShipping>`, which needs both the ship-from and the ship-to party."""
    ship_from, ship_to = doc.party(EntityRole.SHIP_FROM), doc.party(EntityRole.SHIP_TO)
    if ship_from is None or ship_to is None or not (ship_from.name and ship_to.name):
        return
    shipped = on(doc.shipped_date, timestamp) if doc.shipped_date else None
    shipping = element(parent, "InvoiceDetailShipping", shippingDate=shipped)
    contact(shipping, ship_from, "shipFrom")
    contact(shipping, ship_to, "shipTo")


def _payment_terms(
    parent: etree._Element,
    discount_days: int | None,
    discount_percent: Decimal | None,
    net_days: int | None,
) -> None:
    """An ITD as PaymentTerms: "2/10 Net 30" is 10 days with 2 % off, and 30 days."""
    if discount_days is not None and discount_percent is not None:
        term = element(parent, "PaymentTerm", payInNumberOfDays=str(discount_days))
        discount = element(term, "Discount")
        element(discount, "DiscountPercent", percent=number(discount_percent))
    if net_days is not None:
        element(parent, "PaymentTerm", payInNumberOfDays=str(net_days))


def _item(
    parent: etree._Element,
    line: InvoiceLine,
    position: int,
    currency: str,
    *,
    rules: InvoiceCodes,
    units: UnitTranslation,
) -> None:
    assert line.unit_price is not None  # checked by _check
    cxml_line = line_number(line.line_number, position)
    node = element(
        parent, "InvoiceDetailItem", invoiceLineNumber=str(position), quantity=number(line.quantity)
    )
    element(node, "UnitOfMeasure", units.coupa_unit(cxml_line, line.unit_of_measure))
    element(element(node, "UnitPrice"), "Money", amount(line.unit_price), currency=currency)
    reference = element(node, "InvoiceDetailItemReference", lineNumber=cxml_line)
    item_id(reference, line.product_ids)
    if line.description:
        element(reference, "Description", line.description, lang=LANG)
    money(node, "SubtotalAmount", _subtotal(line), currency)
    if line.taxes:
        _tax(node, line.taxes, currency, rules)


def _tax(parent: etree._Element, taxes: Sequence[Tax], currency: str, rules: InvoiceCodes) -> None:
    """`<Tax>`: the total, a description, and a TaxDetail for each tax with an amount."""
    total = sum((tax.amount for tax in taxes if tax.amount is not None), Decimal(0))
    node = money(parent, "Tax", total, currency)
    element(node, "Description", _tax_description(taxes, rules), lang=LANG)
    for tax in taxes:
        if tax.amount is not None:
            _tax_detail(node, tax, currency, rules)


def _tax_description(taxes: Sequence[Tax], rules: InvoiceCodes) -> str:
    names = dict.fromkeys(f"{_category(tax, rules)} tax ({tax.tax_type})" for tax in taxes)
    return ", ".join(names) or "tax"


def _category(tax: Tax, rules: InvoiceCodes) -> str:
    return rules.tax_categories.get(tax.tax_type, "other")


def _tax_detail(parent: etree._Element, tax: Tax, currency: str, rules: InvoiceCodes) -> None:
    assert tax.amount is not None
    rate = number(tax.percent) if tax.percent is not None else None
    category = _category(tax, rules)
    detail = element(parent, "TaxDetail", purpose="tax", category=category, percentageRate=rate)
    if tax.basis_amount is not None:
        money(detail, "TaxableAmount", tax.basis_amount, currency)
    money(detail, "TaxAmount", tax.amount, currency)
    if tax.jurisdiction:
        element(detail, "TaxLocation", tax.jurisdiction, lang=LANG)


def _summary(
    parent: etree._Element, doc: Invoice, amounts: _Amounts, currency: str, rules: InvoiceCodes
) -> None:
    summary = element(parent, "InvoiceDetailSummary")
    money(summary, "SubtotalAmount", amounts.subtotal, currency)
    tax = money(summary, "Tax", amounts.tax, currency)
    element(tax, "Description", _tax_description(_taxes(doc), rules), lang=LANG)
    for one in doc.taxes:  # the lines' taxes are detailed on the lines
        if one.amount is not None:
            _tax_detail(tax, one, currency, rules)
    if amounts.special_handling:
        money(summary, "SpecialHandlingAmount", amounts.special_handling, currency)
    if amounts.shipping:
        money(summary, "ShippingAmount", amounts.shipping, currency)
    money(summary, "GrossAmount", amounts.gross, currency)
    if amounts.discount:
        money(summary, "InvoiceDetailDiscount", amounts.discount, currency)
    money(summary, "NetAmount", amounts.net, currency)
    money(summary, "DueAmount", amounts.net, currency)
