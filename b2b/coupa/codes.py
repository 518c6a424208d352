"""The X12 code lists the supplier documents read, as data (maps/cxml/codes.toml), checked once.

    [confirmation]              BAK02 order rejections, ACK04 shipmentDate qualifiers, ACK01 codes
                                carrying a new price, ACK01 codes needing no comment
    [confirmation.line_status]  ACK01 → ConfirmationStatus@type
    [ship_notice.*]             TD502 → carrier domain, TD504 → Route@method, TD108 → UN/CEFACT
    [invoice]                   BIG07 credits, SAC02 tax charge and shipping charges,
                                [invoice.tax_categories] TXI01 → TaxDetail@category

Every key is required and nothing else is allowed; X12 codes are checked against the code lists
the gateway reads (LineItemStatus, AcknowledgmentType) or their X12 form, cXML values against what
the DTD allows. A wrong file raises ConfigurationError naming the file and the entry.

    >>> codes = CxmlCodes.load(Path("maps/cxml/codes.toml"))
    >>> codes.confirmation.status_type(LineItemStatus.BACKORDERED)
    'backordered'
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from b2b.documents import AcknowledgmentType, LineItemStatus
from b2b.errors import ConfigurationError

__all__ = ["ConfirmationCodes", "CxmlCodes", "InvoiceCodes", "ShipNoticeCodes"]

ACCEPT, BACKORDERED, REJECT, DETAIL, UNKNOWN = (
    "accept",
    "backordered",
    "reject",
    "detail",
    "unknown",
)
STATUS_TYPES = (ACCEPT, BACKORDERED, REJECT, DETAIL, UNKNOWN)
"""ConfirmationStatus@type values an ACK01 code can take (`detail`: when there is a change)."""
ROUTE_METHODS = frozenset(
    {"air", "motor", "rail", "ship", "mail", "multimodal", "fixedTransport", "inlandWater"}
    | {"unknown", "custom"}
)
"""Route@method values Fulfill.dtd allows."""

_SECTIONS = {
    "confirmation": (
        "order_rejections",
        "shipment_date_qualifiers",
        "price_changes",
        "self_explained",
        "line_status",
    ),
    "ship_notice": ("carrier_domains", "route_methods", "weight_units"),
    "invoice": ("credit_types", "tax_charge", "shipping_charges", "tax_categories"),
}
_E = TypeVar("_E", bound=enum.StrEnum)


class _CodeError(Exception):
    """A wrong entry: where it is ("confirmation.line_status.XX") and what is wrong."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class ConfirmationCodes:
    """The 855's codes: what each ACK01 and BAK02 means to a ConfirmationRequest."""

    line_status: Mapping[LineItemStatus, str]  # ACK01 → ConfirmationStatus@type
    order_rejections: frozenset[AcknowledgmentType]  # BAK02 rejecting the whole order
    shipment_date_qualifiers: frozenset[str]  # ACK04 giving a shipmentDate
    price_changes: frozenset[LineItemStatus]  # ACK01 whose PO104 is a new UnitPrice
    self_explained: frozenset[LineItemStatus]  # ACK01 without a Comments

    def status_type(self, status: LineItemStatus) -> str:
        """The ConfirmationStatus@type of ACK01 `status` (`unknown` when the table lacks it)."""
        return self.line_status.get(status, UNKNOWN)


@dataclass(frozen=True, slots=True)
class ShipNoticeCodes:
    """The 856's codes: carrier identification, transportation method, weight unit."""

    carrier_domains: Mapping[str, str]  # TD502 → CarrierIdentifier@domain
    route_methods: Mapping[str, str]  # TD504 → Route@method
    weight_units: Mapping[str, str]  # TD108 → UN/CEFACT unit


@dataclass(frozen=True, slots=True)
class InvoiceCodes:
    """The 810's codes: credits, the tax and shipping charges, tax categories."""

    credit_types: frozenset[str]  # BIG07
    tax_charge: str  # SAC02
    shipping_charges: frozenset[str]  # SAC02
    tax_categories: Mapping[str, str]  # TXI01 → TaxDetail@category


@dataclass(frozen=True, slots=True)
class CxmlCodes:
    """The code lists of the 855, 856 and 810 builders, loaded once and passed in.

    >>> confirmation_request(doc, order=order, codes=codes, credentials=creds, ...)
    """

    confirmation: ConfirmationCodes
    ship_notice: ShipNoticeCodes
    invoice: InvoiceCodes

    @classmethod
    def load(cls, path: Path) -> CxmlCodes:
        """The code lists in the TOML file `path`; ConfigurationError naming it and the entry."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(f"{path}: {exc}") from exc
        return cls.from_data(data, source=str(path))

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, source: str) -> CxmlCodes:
        """The code lists in `data` (a parsed file); `source` names it in errors."""
        try:
            sections = _sections(data)
            return cls(
                _confirmation(sections["confirmation"]),
                _ship_notice(sections["ship_notice"]),
                _invoice(sections["invoice"]),
            )
        except _CodeError as exc:
            raise ConfigurationError(f"{source}: {exc}") from exc


def _sections(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    _keys(data, "", tuple(_SECTIONS))
    for name, keys in _SECTIONS.items():
        if not isinstance(data[name], dict):
            raise _CodeError(name, "must be a table")
        _keys(data[name], f"{name}.", keys)
    return {name: data[name] for name in _SECTIONS}


def _keys(table: Mapping[str, Any], prefix: str, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise _CodeError(f"{prefix}{unknown[0]}", f"unknown key (allowed: {', '.join(allowed)})")
    missing = [key for key in allowed if key not in table]
    if missing:
        raise _CodeError(f"{prefix}{missing[0]}", "is missing")


def _confirmation(table: dict[str, Any]) -> ConfirmationCodes:
    where = "confirmation."
    line_status = {
        _enum(LineItemStatus, code, f"{where}line_status.{code}"): kind
        for code, kind in _mapping(table["line_status"], f"{where}line_status", _x12_code).items()
    }
    for status, kind in line_status.items():
        if kind not in STATUS_TYPES:
            raise _CodeError(
                f"{where}line_status.{status}", f"{kind!r} is not one of {', '.join(STATUS_TYPES)}"
            )
    codes = ConfirmationCodes(
        line_status=line_status,
        order_rejections=_enums(AcknowledgmentType, table, where, "order_rejections"),
        shipment_date_qualifiers=_list(table, where, "shipment_date_qualifiers", _qualifier),
        price_changes=_enums(LineItemStatus, table, where, "price_changes"),
        self_explained=_enums(LineItemStatus, table, where, "self_explained"),
    )
    for status in sorted(codes.price_changes):
        if codes.status_type(status) != DETAIL:
            raise _CodeError(f"{where}price_changes", f"{status} is not a `detail` line_status")
    return codes


def _ship_notice(table: dict[str, Any]) -> ShipNoticeCodes:
    where = "ship_notice."
    methods = _mapping(table["route_methods"], f"{where}route_methods", _x12_code)
    for code, method in methods.items():
        if method not in ROUTE_METHODS:
            raise _CodeError(
                f"{where}route_methods.{code}",
                f"{method!r} is not one of {', '.join(sorted(ROUTE_METHODS))}",
            )
    return ShipNoticeCodes(
        carrier_domains=_mapping(table["carrier_domains"], f"{where}carrier_domains", _x12_code),
        route_methods=methods,
        weight_units=_mapping(table["weight_units"], f"{where}weight_units", _x12_code),
    )


def _invoice(table: dict[str, Any]) -> InvoiceCodes:
    where = "invoice."
    tax_charge = table["tax_charge"]
    if not (isinstance(tax_charge, str) and _charge_code(tax_charge)):
        raise _CodeError(
            f"{where}tax_charge", f"{tax_charge!r} is not an SAC02 code (4 characters)"
        )
    shipping = _list(table, where, "shipping_charges", _charge_code)
    if tax_charge in shipping:
        raise _CodeError(f"{where}shipping_charges", f"{tax_charge} is the tax_charge")
    return InvoiceCodes(
        credit_types=_list(table, where, "credit_types", _x12_code),
        tax_charge=tax_charge,
        shipping_charges=shipping,
        tax_categories=_mapping(table["tax_categories"], f"{where}tax_categories", _x12_code),
    )


def _mapping(raw: object, where: str, valid_key: Callable[[str], bool]) -> dict[str, str]:
    """A table of X12 code → non-empty text."""
    if not isinstance(raw, dict):
        raise _CodeError(where, "must be a table of X12 code = value")
    for key, value in raw.items():
        if not valid_key(key):
            raise _CodeError(f"{where}.{key}", "is not an X12 code")
        if not (isinstance(value, str) and value.strip()):
            raise _CodeError(f"{where}.{key}", f"{value!r} is not a non-empty string")
    return dict(raw)


def _list(
    table: dict[str, Any], where: str, key: str, valid: Callable[[str], bool]
) -> frozenset[str]:
    raw = table[key]
    if not isinstance(raw, list) or not all(isinstance(code, str) for code in raw):
        raise _CodeError(f"{where}{key}", "must be a list of X12 codes")
    for code in raw:
        if not valid(code):
            raise _CodeError(f"{where}{key}", f"{code!r} is not a valid code here")
    return frozenset(raw)


def _enums(kind: type[_E], table: dict[str, Any], where: str, key: str) -> frozenset[_E]:
    codes = _list(table, where, key, _x12_code)
    return frozenset(_enum(kind, code, f"{where}{key}") for code in sorted(codes))


def _enum(kind: type[_E], code: str, where: str) -> _E:
    try:
        return kind(code)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise _CodeError(where, f"{code!r} is not a code of {kind.__name__} ({allowed})") from None


def _x12_code(value: str) -> bool:
    return 1 <= len(value) <= 3 and value.isascii() and value.isalnum() and value == value.upper()


def _qualifier(value: str) -> bool:
    return len(value) == 3 and value.isascii() and value.isalnum()


def _charge_code(value: str) -> bool:
    return len(value) == 4 and value.isascii() and value.isalnum() and value == value.upper()
