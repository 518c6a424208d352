"""Canonical documents: what every input format parses into and every map reads from.

Values are frozen and typed; amounts are `Decimal`, never float. Names follow the standards
(cXML and X12) where the two agree, and plain English where they do not.

    >>> line = OrderLine(line_number="1", quantity=Decimal("2"), unit_of_measure="EA")
    >>> po = PurchaseOrder(number="4711", order_type=OrderType.NEW, lines=(line,))
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal


class OrderType(enum.StrEnum):
    """cXML `OrderRequestHeader@type`; Coupa XML maps its statuses onto these."""

    NEW = "new"
    UPDATE = "update"
    DELETE = "delete"


class PartyRole(enum.StrEnum):
    """The role of a party on an order, named by its X12 N101 entity identifier code."""

    SHIP_TO = "ST"
    BILL_TO = "BT"
    BUYER = "BY"
    SUPPLIER = "SU"
    END_USER = "EN"


class ProductIdKind(enum.StrEnum):
    """Kinds of product identifier, named by the X12 product/service ID qualifier (PO106...)."""

    VENDOR_PART = "VP"  # cXML SupplierPartID, Coupa source-part-num
    BUYER_PART = "BP"  # cXML BuyerPartID, Coupa item number
    UPC = "UP"
    MANUFACTURER_PART = "MG"  # cXML ManufacturerPartID, Coupa manufacturer-part-number
    VENDOR_AUXILIARY = "VA"  # cXML SupplierPartAuxiliaryID, Coupa supp-aux-part-num
    GTIN = "EN"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency (ISO 4217)."""

    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address. `country` is the ISO 3166 alpha-2 code where the source gives one."""

    street: tuple[str, ...] = ()
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A person to reach about the order."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """A party on the order (ship-to, bill-to, buyer, supplier...)."""

    role: PartyRole
    name: str | None = None
    identifier: str | None = None  # cXML Address@addressID, Coupa address id
    deliver_to: tuple[str, ...] = ()
    address: Address | None = None
    contact: Contact | None = None


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    """Payment terms; `description` is the source's code or text (e.g. "Net 45")."""

    description: str | None = None
    net_days: int | None = None
    discount_percent: Decimal | None = None
    discount_days: int | None = None


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of a purchase order."""

    line_number: str
    quantity: Decimal
    unit_of_measure: str
    unit_price: Money | None = None
    description: str | None = None
    product_ids: tuple[tuple[ProductIdKind, str], ...] = ()
    need_by: dt.date | None = None
    classification: str | None = None  # e.g. UNSPSC code
    comments: tuple[str, ...] = ()

    def product_id(self, kind: ProductIdKind) -> str | None:
        """The identifier of `kind`, or None."""
        for k, value in self.product_ids:
            if k is kind:
                return value
        return None


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    """A buyer's purchase order, whatever format it arrived in."""

    number: str
    order_type: OrderType
    lines: tuple[OrderLine, ...]
    version: int | None = None
    order_date: dt.datetime | None = None
    currency: str | None = None
    total: Money | None = None
    parties: tuple[Party, ...] = ()
    payment_terms: PaymentTerms | None = None
    shipping_terms: str | None = None
    comments: tuple[str, ...] = ()

    def party(self, role: PartyRole) -> Party | None:
        """The first party with `role`, or None."""
        for p in self.parties:
            if p.role is role:
                return p
        return None


class SourceFormat(enum.StrEnum):
    """Which input format a document arrived in."""

    CXML = "cxml"
    COUPA_XML = "coupa-xml"


@dataclass(frozen=True, slots=True)
class Credential:
    """A cXML credential: `domain` (NetworkID, DUNS...) and `identity`."""

    domain: str
    identity: str

    def __str__(self) -> str:
        return f"{self.domain}:{self.identity}"


@dataclass(frozen=True, slots=True)
class ReceivedOrder:
    """A parsed inbound order with what the gateway needs to route and deduplicate it.

    `document_key` identifies the document for idempotency: the cXML payloadID, or
    `<order-header id>:v<version>` for Coupa XML. `recipients` are the identities that name the
    supplier (cXML To credentials; the Coupa supplier number as `Credential("supplier-number", n)`);
    `sender` and `originators` (cXML Sender and From credentials) name the buyer.
    """

    source_format: SourceFormat
    document_key: str
    order: PurchaseOrder
    recipients: tuple[Credential, ...] = ()
    sender: Credential | None = None
    originators: tuple[Credential, ...] = ()  # cXML Header/From: the buyer
    shared_secret: str | None = field(default=None, repr=False)


# Inbound business documents: what a partner's 855, 856 and 810 become. They keep the business
# content (no envelope, no control numbers: the store keeps those with the bytes) and link to the
# purchase order they answer by its number. Codes the gateway acts on are enums; codes it only
# carries (purposes, reference qualifiers, tax types) stay text, so an unusual code never stops
# a document. Party roles and product ID qualifiers the enums know become members; others stay
# their X12 code.


class EntityRole(enum.StrEnum):
    """The role of a party on a partner's document: the X12 N101 entity identifier code (98)."""

    SHIP_TO = "ST"
    BILL_TO = "BT"
    BUYER = "BY"
    SUPPLIER = "SU"
    SELLER = "SE"
    SHIP_FROM = "SF"
    SHIPPER = "SH"
    REMIT_TO = "RI"
    REMITTANCE_RECEIVER = "RE"  # party to receive commercial invoice remittance
    INVOICE_ISSUER = "II"
    SOLD_TO = "SO"
    PAYER = "PR"
    PAYEE = "PE"
    VENDOR = "VN"
    CARRIER = "CA"
    ORDERED_BY = "OB"
    END_USER = "EN"
    MANUFACTURER = "MF"


class AcknowledgmentType(enum.StrEnum):
    """855 BAK02 acknowledgment type (587): the seller's answer to the whole order."""

    WITH_DETAIL_AND_CHANGE = "AC"
    WITH_DETAIL_NO_CHANGE = "AD"
    WITH_EXCEPTION_DETAIL_ONLY = "AE"
    HOLD_STATUS = "AH"
    NO_DETAIL_OR_CHANGE = "AK"
    PRODUCT_REPLENISHMENT = "AP"
    ACCEPTED = "AT"
    NO_ACKNOWLEDGMENT_NEEDED = "NA"
    REJECTED_WITH_DETAIL = "RD"
    REJECTED_WITH_EXCEPTION_DETAIL = "RF"
    REJECTED_NO_DETAIL = "RJ"
    REJECTED_WITH_COUNTER_OFFER = "RO"
    MUTUALLY_DEFINED = "ZZ"


class LineItemStatus(enum.StrEnum):
    """855 ACK01 line item status code (668): the seller's answer to one order line."""

    ACCEPTED_AND_SHIPPED = "AC"
    ACCEPTED_AND_RELEASED = "AR"
    PARTIAL_SHIPMENT_BALANCE_BACKORDERED = "BP"
    DATE_RESCHEDULED = "DR"
    ACCEPTED = "IA"
    BACKORDERED = "IB"
    CHANGES_MADE = "IC"
    DELETED = "ID"
    PRICE_PENDING = "IE"
    ON_HOLD_INCOMPLETE_DESCRIPTION = "IF"
    ON_HOLD = "IH"
    PRICE_CHANGED = "IP"
    QUANTITY_CHANGED = "IQ"
    REJECTED = "IR"
    SUBSTITUTION_MADE = "IS"
    ON_HOLD_WAIVER_REQUIRED = "IW"
    REJECTED_NOT_A_CONTRACT_ITEM = "R1"
    REJECTED_INVALID_PRODUCT_NUMBER = "R2"
    REJECTED_INVALID_UNIT_OF_ISSUE = "R3"
    REJECTED_CONTRACT_ITEM_NOT_AVAILABLE = "R4"
    REJECTED_REORDER_AS_JIT = "R5"
    REJECTED_REORDER_AS_EDO = "R6"
    REJECTED_REORDER_AS_DROP_SHIPMENT = "R7"
    REJECTED_REORDER_AS_SURGE = "R8"
    SCHEDULE_DATE_PENDING = "SP"

    @property
    def rejected(self) -> bool:
        """True for IR, ID and R1..R8: the line will not be supplied."""
        return self in _REJECTED_STATUSES

    @property
    def backordered(self) -> bool:
        """True for IB and BP: some or all of the quantity comes later."""
        return self in (
            LineItemStatus.BACKORDERED,
            LineItemStatus.PARTIAL_SHIPMENT_BALANCE_BACKORDERED,
        )


_REJECTED_STATUSES = frozenset(
    {LineItemStatus.REJECTED, LineItemStatus.DELETED}
    | {s for s in LineItemStatus if s.value.startswith("R")}
)


class AllowanceChargeIndicator(enum.StrEnum):
    """SAC01 allowance or charge indicator (248)."""

    ALLOWANCE = "A"
    CHARGE = "C"
    NO_ALLOWANCE_OR_CHARGE = "N"


class _ProductIds:
    """Lookup by qualifier for a line's `product_ids` ((qualifier, value) pairs, in order)."""

    __slots__ = ()
    product_ids: tuple[tuple[str, str], ...]

    def product_id(self, kind: str) -> str | None:
        """The identifier with qualifier `kind` (a ProductIdKind or any X12 235 code), or None."""
        for qualifier, value in self.product_ids:
            if qualifier == kind:
                return value
        return None


@dataclass(frozen=True, slots=True)
class DocumentParty:
    """A party named on a partner's document (an N1 loop: N1, N2, N3, N4, PER)."""

    role: EntityRole | str
    name: str | None = None
    id_qualifier: str | None = None  # N103 (1 DUNS, 9 DUNS+4, 92 assigned by buyer...)
    identifier: str | None = None  # N104
    additional_names: tuple[str, ...] = ()  # N2
    address: Address | None = None
    contact: Contact | None = None


def _party(parties: tuple[DocumentParty, ...], role: str) -> DocumentParty | None:
    return next((p for p in parties if p.role == role), None)


@dataclass(frozen=True, slots=True)
class LineAcknowledgment:
    """One ACK of an 855 line: a status for a quantity, and the date the seller schedules."""

    status: LineItemStatus  # ACK01
    quantity: Decimal | None = None  # ACK02
    unit_of_measure: str | None = None  # ACK03
    date_qualifier: str | None = None  # ACK04 (374): 068 ship, 067 delivery, 017 estimated...
    scheduled_date: dt.date | None = None  # ACK05, else the line's DTM


@dataclass(frozen=True, slots=True)
class ConfirmationLine(_ProductIds):
    """One PO1 loop of an 855: the order line as the seller restates it, and its ACKs."""

    line_number: str | None  # PO101, the buyer's line number
    quantity: Decimal | None = None  # PO102
    unit_of_measure: str | None = None  # PO103
    unit_price: Decimal | None = None  # PO104, in the document's currency
    product_ids: tuple[tuple[str, str], ...] = ()  # PO106/07...; ProductIdKind when known
    description: str | None = None  # PID05
    acknowledgments: tuple[LineAcknowledgment, ...] = ()

    @property
    def status(self) -> LineItemStatus | None:
        """The first ACK's status, or None for a line the seller restated without one."""
        return self.acknowledgments[0].status if self.acknowledgments else None


@dataclass(frozen=True, slots=True)
class OrderConfirmation:
    """A partner's 855 purchase order acknowledgment.

    >>> confirmation.po_number, confirmation.acknowledgment_type, confirmation.lines[3].status
    ('HMG-PO-100482', <AcknowledgmentType.WITH_DETAIL_AND_CHANGE: 'AC'>, <LineItemStatus...>)
    """

    purpose: str  # BAK01 (353): 00 original, 04 change, 05 replace, 06 confirmation...
    acknowledgment_type: AcknowledgmentType  # BAK02
    po_number: str  # BAK03
    po_date: dt.date  # BAK04
    lines: tuple[ConfirmationLine, ...] = ()
    release_number: str | None = None  # BAK05
    confirmation_number: str | None = None  # BAK08, the seller's reference
    confirmation_date: dt.date | None = None  # BAK09
    currency: str | None = None  # CUR02
    references: tuple[tuple[str, str], ...] = ()  # header REF01, REF02
    parties: tuple[DocumentParty, ...] = ()

    def party(self, role: str) -> DocumentParty | None:
        """The first party with `role` (an EntityRole or any N101 code), or None."""
        return _party(self.parties, role)


@dataclass(frozen=True, slots=True)
class Carrier:
    """The carrier of a shipment (TD5)."""

    id_qualifier: str | None = None  # TD502: 2 = SCAC
    identifier: str | None = None  # TD503, e.g. the SCAC "UPSN"
    transport_method: str | None = None  # TD504 (91): M motor, U parcel, A air...
    routing: str | None = None  # TD505, free text such as "UPS Ground"


@dataclass(frozen=True, slots=True)
class ShippedOrder:
    """A purchase order a ship notice covers (an order-level HL and its PRF)."""

    po_number: str  # PRF01
    po_date: dt.date | None = None  # PRF04
    release_number: str | None = None  # PRF02
    parties: tuple[DocumentParty, ...] = ()


@dataclass(frozen=True, slots=True)
class ShippedItem(_ProductIds):
    """An item-level HL of an 856: what was shipped, for which order, in which package."""

    quantity: Decimal  # SN102
    unit_of_measure: str  # SN103
    po_number: str | None = None  # PRF01 of its order (or of itself)
    line_number: str | None = None  # LIN01, the buyer's line number where the seller gives it
    product_ids: tuple[tuple[str, str], ...] = ()  # LIN02/03...
    quantity_ordered: Decimal | None = None  # SN105
    description: str | None = None  # PID05
    package_marks: str | None = None  # MAN02 of the pack or tare that holds it (SSCC-18...)


@dataclass(frozen=True, slots=True)
class ShipNotice:
    """A partner's 856 ship notice, its HL hierarchy flattened into orders and items.

    >>> notice.shipment_id, notice.po_numbers, notice.items[0].quantity
    ('SHP-100482-01', ('HMG-PO-100482',), Decimal('10'))
    """

    purpose: str  # BSN01 (353)
    shipment_id: str  # BSN02
    notice_date: dt.date  # BSN03
    notice_time: dt.time | None = None  # BSN04
    orders: tuple[ShippedOrder, ...] = ()
    items: tuple[ShippedItem, ...] = ()
    shipped_date: dt.date | None = None  # DTM 011
    delivery_date: dt.date | None = None  # DTM 017 (estimated delivery)
    carrier: Carrier | None = None
    bill_of_lading: str | None = None  # REF BM
    tracking_number: str | None = None  # REF CN (carrier's reference / PRO)
    package_count: int | None = None  # TD102 lading quantity
    packaging_code: str | None = None  # TD101, e.g. CTN25
    weight: Decimal | None = None  # TD107
    weight_unit: str | None = None  # TD108, e.g. LB
    references: tuple[tuple[str, str], ...] = ()  # shipment-level REF01, REF02
    parties: tuple[DocumentParty, ...] = ()  # shipment-level N1 loops (SF, ST...)

    @property
    def po_numbers(self) -> tuple[str, ...]:
        """The purchase orders this shipment covers, in order of appearance."""
        return tuple(order.po_number for order in self.orders)

    def party(self, role: str) -> DocumentParty | None:
        """The first shipment-level party with `role`, or None."""
        return _party(self.parties, role)


@dataclass(frozen=True, slots=True)
class AllowanceCharge:
    """An SAC: a charge (freight, handling, tax) or an allowance (discount)."""

    indicator: AllowanceChargeIndicator  # SAC01
    code: str | None = None  # SAC02 (1300): G830 shipping, H850 tax, C310 discount...
    amount: Decimal | None = None  # SAC05 (implied 2 decimals in X12, a real amount here)
    percent: Decimal | None = None  # SAC07
    description: str | None = None  # SAC15


@dataclass(frozen=True, slots=True)
class Tax:
    """A TXI: one tax on the invoice or one line."""

    tax_type: str  # TXI01 (963): ST sales, FD federal, VA value added, GS goods and services...
    amount: Decimal | None = None  # TXI02
    percent: Decimal | None = None  # TXI03
    jurisdiction: str | None = None  # TXI05
    exempt_code: str | None = None  # TXI06
    basis_amount: Decimal | None = None  # TXI08


@dataclass(frozen=True, slots=True)
class InvoiceLine(_ProductIds):
    """One IT1 loop of an 810."""

    line_number: str | None  # IT101, the buyer's line number where the seller gives it
    quantity: Decimal  # IT102 quantity invoiced
    unit_of_measure: str  # IT103
    unit_price: Decimal | None = None  # IT104
    product_ids: tuple[tuple[str, str], ...] = ()  # IT106/07...
    description: str | None = None  # PID05
    charges: tuple[AllowanceCharge, ...] = ()  # line SAC
    taxes: tuple[Tax, ...] = ()  # line TXI


@dataclass(frozen=True, slots=True)
class Invoice:
    """A partner's 810 invoice.

    >>> invoice.invoice_number, invoice.po_number, invoice.total
    ('INV-100482-1', 'HMG-PO-100482', Decimal('292.14'))
    """

    invoice_number: str  # BIG02
    invoice_date: dt.date  # BIG01
    po_number: str  # BIG04 (else a header REF PO, else the lines' one PO product ID)
    total: Decimal  # TDS01 total invoice amount
    lines: tuple[InvoiceLine, ...] = ()
    po_date: dt.date | None = None  # BIG03
    release_number: str | None = None  # BIG05
    transaction_type: str | None = None  # BIG07 (640): DI debit invoice, CR credit memo...
    purpose: str | None = None  # BIG08 (353)
    currency: str | None = None  # CUR02
    references: tuple[tuple[str, str], ...] = ()  # header REF01, REF02
    parties: tuple[DocumentParty, ...] = ()  # header N1 loops (BT, ST, RE, RI, SF...)
    terms: tuple[PaymentTerms, ...] = ()  # ITD
    shipped_date: dt.date | None = None  # DTM 011
    charges: tuple[AllowanceCharge, ...] = ()  # summary SAC
    taxes: tuple[Tax, ...] = ()  # summary TXI

    def party(self, role: str) -> DocumentParty | None:
        """The first party with `role` (an EntityRole or any N101 code), or None."""
        return _party(self.parties, role)


# Changes to an order the partner already has: what b2b.mapping.order_change finds between the
# version the partner was sent and the current one, and what an 860 carries. Kinds of change are
# words here, as OrderType is; the map's code tables turn them into X12 codes (353, 670), so a
# partner that knows fewer codes is a map change.


class ChangePurpose(enum.StrEnum):
    """Why an 860 is sent: its BCH01 purpose (353) is the map's [codes.purpose] entry."""

    CHANGE = "change"  # 04
    CANCELLATION = "cancellation"  # 01


class LineChangeType(enum.StrEnum):
    """What happened to one order line: its POC02 (670) is the map's [codes.change] entry.

    A line with several changes gets one combined code, as X12 670 provides them (PQ, PR, RQ,
    MU); a change outside quantity, price and date (unit, description, product IDs, comments)
    makes it CA, changes to line items, which tells the receiver to read the whole line again.
    """

    ADDED = "added"  # AI add additional item(s)
    DELETED = "deleted"  # DI delete item(s)
    QUANTITY_INCREASE = "quantity-increase"  # QI
    QUANTITY_DECREASE = "quantity-decrease"  # QD
    PRICE = "price"  # PC price change
    DATE = "date"  # CT change of dates
    PRICE_QUANTITY = "price-quantity"  # PQ unit price/quantity change
    PRICE_DATE = "price-date"  # PR unit price/reschedule change
    DATE_QUANTITY = "date-quantity"  # RQ reschedule/quantity change
    PRICE_QUANTITY_DATE = "price-quantity-date"  # MU (multiple) unit price quantity reschedule
    LINE_ITEM = "line-item"  # CA changes to line items
    REPLACE_ALL = "replace-all"  # RZ replace all values


@dataclass(frozen=True, slots=True)
class LineChange:
    """One POC loop of an 860: a line added, deleted, changed, or restated in full.

    `ordered` is the line as now ordered (None for a deleted line); `previous` the line as the
    partner was sent it (None for an added line, or when the earlier version is unknown).
    `changes` are the single differences `change` stands for, in the order quantity, price, date,
    line item; empty when there is no earlier line to compare with.

    >>> line = change.lines[0]
    >>> line.line_number, line.change.value, [c.value for c in line.changes]
    ('2', 'price-quantity', ['quantity-increase', 'price'])
    """

    line_number: str  # POC01
    change: LineChangeType  # POC02
    ordered: OrderLine | None
    previous: OrderLine | None = None
    changes: tuple[LineChangeType, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderChange:
    """A change to (or the cancellation of) an order the partner already has: an 860's content.

    `order` is the current order, whose header the 860 restates; `lines` are the POC loops;
    `request_date` is the date the change is requested (BCH11), given by the caller.

    >>> change.purpose, change.order.version, [line.line_number for line in change.lines]
    (<ChangePurpose.CHANGE: 'change'>, 4, ['2', '6'])
    """

    order: PurchaseOrder
    purpose: ChangePurpose
    lines: tuple[LineChange, ...] = ()
    request_date: dt.date | None = None
