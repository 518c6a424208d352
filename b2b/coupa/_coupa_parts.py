"""Readers for the building blocks of Coupa XML: values, addresses, users, contacts, parties."""

from __future__ import annotations

from lxml import etree

from b2b.coupa._values import index, text_of
from b2b.documents import Address, Contact, Party, PartyRole

_STREETS = ("street1", "street2", "street3", "street4")
_PHONES = ("phone-work", "phone-mobile")


def value(element: etree._Element | None) -> str | None:
    """The element's stripped text; None when absent, empty or `nil="true"`."""
    if element is None or element.get("nil") == "true":
        return None
    return text_of(element)


def parties(fields: dict[str, etree._Element]) -> tuple[Party, ...]:
    """Ship-to, bill-to, supplier and requester, each only when the order-header has it."""
    found = []
    ship_to = fields.get("ship-to-address")
    if ship_to is not None:
        attention = value(fields.get("ship-to-attention"))
        contact = _user(fields.get("ship-to-user"))
        found.append(_address_party(PartyRole.SHIP_TO, ship_to, attention, contact))
    bill_to = fields.get("bill-to-address")
    if bill_to is not None:
        found.append(_address_party(PartyRole.BILL_TO, bill_to, None, None))
    supplier = fields.get("supplier")
    if supplier is not None:
        found.append(_supplier(supplier))
    requester = fields.get("requester")
    if requester is None:
        requester = index(fields.get("requisition-header")).get("requester")
    if (user := _user(requester)) is not None:
        found.append(Party(role=PartyRole.END_USER, name=user.name, contact=user))
    return tuple(found)


def _address_party(
    role: PartyRole, element: etree._Element, attention: str | None, contact: Contact | None
) -> Party:
    fields = index(element)
    attentions = (attention, value(fields.get("attention")))
    return Party(
        role=role,
        name=value(fields.get("name")),
        identifier=value(fields.get("id")),
        deliver_to=tuple(dict.fromkeys(a for a in attentions if a)),
        address=address(fields),
        contact=contact,
    )


def address(fields: dict[str, etree._Element]) -> Address:
    """An Address from the fields of a Coupa address element (street1..4, country/code)."""
    streets = (value(fields.get(tag)) for tag in _STREETS)
    country = index(fields.get("country"))
    return Address(
        street=tuple(s for s in streets if s),
        city=value(fields.get("city")),
        state=value(fields.get("state")),
        postal_code=value(fields.get("postal-code")),
        country=value(country.get("code")) or value(country.get("name")),
    )


def _supplier(element: etree._Element) -> Party:
    fields = index(element)
    primary_address = fields.get("primary-address")
    return Party(
        role=PartyRole.SUPPLIER,
        name=value(fields.get("name")),
        identifier=value(fields.get("number")),
        address=address(index(primary_address)) if primary_address is not None else None,
        contact=_contact(fields.get("primary-contact")),
    )


def _user(element: etree._Element | None) -> Contact | None:
    """A Coupa user (requester, ship-to-user) as a Contact: "firstname lastname", email."""
    fields = index(element)
    name = value(fields.get("fullname")) or _join(fields, "firstname", "lastname")
    email = value(fields.get("email"))
    return Contact(name=name, email=email) if name or email else None


def _contact(element: etree._Element | None) -> Contact | None:
    """A supplier contact: name-fullname or "name-given name-family", email, work phone."""
    fields = index(element)
    name = value(fields.get("name-fullname")) or _join(fields, "name-given", "name-family")
    email = value(fields.get("email"))
    phone = next((p for tag in _PHONES if (p := _phone(fields.get(tag)))), None)
    if not (name or email or phone):
        return None
    return Contact(name=name, email=email, phone=phone)


def _phone(element: etree._Element | None) -> str | None:
    """A Coupa phone number → "+1 916 5550173 x12"."""
    fields = index(element)
    number = value(fields.get("number"))
    if number is None:
        return None
    country, area, extension = (
        value(fields.get(tag)) for tag in ("country-code", "area-code", "extension")
    )
    text = " ".join(p for p in (f"+{country}" if country else None, area, number) if p)
    return f"{text} x{extension}" if extension else text


def _join(fields: dict[str, etree._Element], *tags: str) -> str | None:
    return " ".join(p for tag in tags if (p := value(fields.get(tag)))) or None
