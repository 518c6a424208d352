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
    supplier (cXML To credentials; the Coupa supplier number as `Credential("supplier-number", n)`).
    """

    source_format: SourceFormat
    document_key: str
    order: PurchaseOrder
    recipients: tuple[Credential, ...] = ()
    sender: Credential | None = None
    shared_secret: str | None = field(default=None, repr=False)
