"""810 invoice → Invoice.

Reads BIG (invoice date and number, PO date and number, release, transaction type, purpose),
CUR, header REFs, N1 loops, ITD terms and DTM 011; each IT1 loop (IT1, PID, SAC, TXI; its N1
loops are not read); and the summary: TDS (implied two decimals), TXI and SAC. The PO number is
BIG04, else a header REF PO, else the one "PO" product ID the lines share. CAD, ISS, AMT and CTT
are not read.

    >>> read_invoice(body(transaction)).total
    Decimal('292.14')
"""

from __future__ import annotations

from collections.abc import Sequence

from b2b.documents import (
    AllowanceCharge,
    AllowanceChargeIndicator,
    Invoice,
    InvoiceLine,
    PaymentTerms,
    Tax,
)
from b2b.mapping.inbound.elements import (
    Located,
    date,
    dated,
    decimal,
    description,
    first,
    implied,
    integer,
    invalid,
    missing_segment,
    optional,
    product_ids,
    reference,
    references,
    required,
    required_date,
    required_decimal,
    required_implied,
    split_loops,
    split_parties,
    tagged,
)


def read_invoice(segments: Sequence[Located]) -> Invoice:
    """The Invoice an 810's body (from `elements.body`) states."""
    header, loops, summary = split_loops(segments, "IT1", end={"TDS", "CTT"})
    loose, parties = split_parties(header)
    big = first(loose, "BIG")
    if big is None:
        raise missing_segment("BIG", "beginning segment for invoice")
    lines = tuple(_line(loop) for loop in loops)
    tds = first(summary, "TDS")
    if tds is None:
        position = summary[0].position if summary else len(segments) + 2
        raise missing_segment("TDS", "total monetary value summary", position)
    cur = first(loose, "CUR")
    return Invoice(
        invoice_number=required(big, 2, "invoice number"),
        invoice_date=required_date(big, 1, "invoice date"),
        po_number=_po_number(big, loose, lines),
        total=required_implied(tds, 1, "total invoice amount"),
        lines=lines,
        po_date=date(big, 3),
        release_number=optional(big, 5),
        transaction_type=optional(big, 7),
        purpose=optional(big, 8),
        currency=optional(cur, 2) if cur else None,
        references=references(loose),
        parties=parties,
        terms=tuple(_terms(itd) for itd in tagged(loose, "ITD")),
        shipped_date=dated(loose, "011"),
        charges=tuple(_charge(sac) for sac in tagged(summary, "SAC")),
        taxes=tuple(_tax(txi) for txi in tagged(summary, "TXI")),
    )


def _po_number(big: Located, header: Sequence[Located], lines: Sequence[InvoiceLine]) -> str:
    number = optional(big, 4) or reference(header, "PO")
    if number:
        return number
    on_lines = {po for line in lines if (po := line.product_id("PO"))}
    if len(on_lines) == 1:
        return on_lines.pop()
    raise invalid(big, 4, "(purchase order number) is missing, and no REF PO names the order")


def _line(loop: Sequence[Located]) -> InvoiceLine:
    it1 = loop[0]
    return InvoiceLine(
        line_number=optional(it1, 1),
        quantity=required_decimal(it1, 2, "quantity invoiced"),
        unit_of_measure=required(it1, 3, "unit of measurement code"),
        unit_price=decimal(it1, 4),
        product_ids=product_ids(it1, 6),
        description=description(loop),
        charges=tuple(_charge(sac) for sac in tagged(loop, "SAC")),
        taxes=tuple(_tax(txi) for txi in tagged(loop, "TXI")),
    )


def _terms(itd: Located) -> PaymentTerms:
    return PaymentTerms(
        description=optional(itd, 12),
        net_days=integer(itd, 7),
        discount_percent=decimal(itd, 3),
        discount_days=integer(itd, 5),
    )


def _charge(sac: Located) -> AllowanceCharge:
    code = required(sac, 1, "allowance or charge indicator")
    try:
        indicator = AllowanceChargeIndicator(code)
    except ValueError:
        raise invalid(sac, 1, f"{code!r} is not an allowance or charge indicator (248)") from None
    return AllowanceCharge(
        indicator=indicator,
        code=optional(sac, 2),
        amount=implied(sac, 5),
        percent=decimal(sac, 7),
        description=optional(sac, 15),
    )


def _tax(txi: Located) -> Tax:
    return Tax(
        tax_type=required(txi, 1, "tax type code"),
        amount=decimal(txi, 2),
        percent=decimal(txi, 3),
        jurisdiction=optional(txi, 5),
        exempt_code=optional(txi, 6),
        basis_amount=decimal(txi, 8),
    )
