"""Readers for the cXML building blocks of an OrderRequest: Money, Address, Contact, Comments.

Elements are read through `index()` (one pass over the children) rather than one `find` per
field: this is on the hot path of every order.
"""

from __future__ import annotations

from lxml import etree

from b2b.coupa._values import child, collapsed, decimal, index, text_of, texts
from b2b.documents import Address, Contact, Money, Party, PartyRole
from b2b.errors import InvalidDocument

_CONTACT_ROLES = {"buyer": PartyRole.BUYER, "endUser": PartyRole.END_USER}
_ADDRESS_PARTIES = (("ShipTo", PartyRole.SHIP_TO), ("BillTo", PartyRole.BILL_TO))
_PHONE_PARTS = ("CountryCode", "AreaOrCityCode", "Number", "Extension")


def money(element: etree._Element, where: str) -> Money:
    """`<Money currency="USD">12.50</Money>` → Money; InvalidDocument naming `where`."""
    currency = (element.get("currency") or "").strip()
    if not currency:
        raise InvalidDocument(f"{where}@currency is missing")
    return Money(amount=decimal(element.text or "", where), currency=currency)


def mixed_text(element: etree._Element | None, *, skip: str) -> str | None:
    """The text of mixed content without the `skip` child element's own text, collapsed."""
    if element is None:
        return None
    if len(element) == 0:
        return collapsed(element.text)
    pieces = [element.text or ""]
    for sub in element:
        pieces += ["" if sub.tag == skip else sub.text or "", sub.tail or ""]
    return collapsed(" ".join(pieces))


def description(element: etree._Element | None) -> str | None:
    """A Description's text; its ShortName when the text is empty."""
    return mixed_text(element, skip="ShortName") or text_of(child(element, "ShortName"))


def classification(detail: etree._Element, first: etree._Element | None) -> str | None:
    """The UNSPSC Classification when there is one, else the first (`first`)."""
    if first is None or (first.get("domain") or "").upper() == "UNSPSC":
        return text_of(first)
    for candidate in detail.iterchildren("Classification"):
        if (candidate.get("domain") or "").upper() == "UNSPSC" and text_of(candidate):
            return text_of(candidate)
    return text_of(first)


def comments(element: etree._Element, fields: dict[str, etree._Element]) -> tuple[str, ...]:
    """The text of each Comments child (attachments left out), blank ones dropped."""
    if "Comments" not in fields:
        return ()
    found = (mixed_text(c, skip="Attachment") for c in element.iterchildren("Comments"))
    return tuple(t for t in found if t)


def shipping_terms(fields: dict[str, etree._Element]) -> str | None:
    """Shipping/Description, else the ShipTo route method, else its shipping instructions."""
    shipping = description(child(fields.get("Shipping"), "Description"))
    if shipping:
        return shipping
    transport = index(child(fields.get("ShipTo"), "TransportInformation"))
    route = transport.get("Route")
    method = (route.get("method") or "").strip() if route is not None else ""
    instructions = child(transport.get("ShippingInstructions"), "Description")
    return method or description(instructions)


def parties(header: etree._Element, fields: dict[str, etree._Element]) -> tuple[Party, ...]:
    """ShipTo, BillTo, Supplier (if present) and the buyer and end-user contacts."""
    found = [
        _address_party(role, address)
        for tag, role in _ADDRESS_PARTIES
        if (address := child(fields.get(tag), "Address")) is not None
    ]
    if "Supplier" in fields:
        found.append(_supplier(fields["Supplier"]))
    if "Contact" in fields:
        for contact in header.iterchildren("Contact"):
            role = _CONTACT_ROLES.get(contact.get("role") or "")
            if role is not None:
                found.append(_contact_party(role, contact))
    return tuple(found)


def _address_party(role: PartyRole, address: etree._Element) -> Party:
    fields = index(address)
    postal = fields.get("PostalAddress")
    return Party(
        role=role,
        name=text_of(fields.get("Name")),
        identifier=address.get("addressID") or None,
        deliver_to=texts(postal, "DeliverTo"),
        address=_postal_address(postal, address.get("isoCountryCode")),
        contact=_contact(None, fields),
    )


def _supplier(supplier: etree._Element) -> Party:
    fields = index(supplier)
    return Party(
        role=PartyRole.SUPPLIER,
        name=text_of(fields.get("Name")),
        identifier=text_of(fields.get("SupplierID")),
    )


def _contact_party(role: PartyRole, element: etree._Element) -> Party:
    fields = index(element)
    name = text_of(fields.get("Name"))
    postal = fields.get("PostalAddress")
    return Party(
        role=role,
        name=name,
        identifier=element.get("addressID") or None,
        deliver_to=texts(postal, "DeliverTo"),
        address=_postal_address(postal, None),
        contact=_contact(name, fields),
    )


def _postal_address(postal: etree._Element | None, iso_country: str | None) -> Address | None:
    if postal is None:
        return None
    fields = index(postal)
    country = fields.get("Country")
    code = country.get("isoCountryCode") if country is not None else None
    return Address(
        street=texts(postal, "Street"),
        city=text_of(fields.get("City")),
        state=text_of(fields.get("State")),
        postal_code=text_of(fields.get("PostalCode")),
        country=code or iso_country or text_of(country),
    )


def _contact(name: str | None, fields: dict[str, etree._Element]) -> Contact | None:
    email = text_of(fields.get("Email"))
    phone = _phone(child(fields.get("Phone"), "TelephoneNumber"))
    if name is None and email is None and phone is None:
        return None
    return Contact(name=name, email=email, phone=phone)


def _phone(number: etree._Element | None) -> str | None:
    """TelephoneNumber → "+1 425 5550148 x314"."""
    fields = index(number)
    country, area, local, extension = (text_of(fields.get(tag)) for tag in _PHONE_PARTS)
    if local is None:
        return None
    text = " ".join(p for p in (f"+{country}" if country else None, area, local) if p)
    return f"{text} x{extension}" if extension else text
