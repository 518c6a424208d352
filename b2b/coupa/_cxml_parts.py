"""Readers for the cXML building blocks of an OrderRequest: Money, Address, Contact, Comments.

Each element's children are read in one pass (`index()`, or a loop that dispatches on the tag)
rather than one `find` per field: this is on the hot path of every order.
"""

from __future__ import annotations

from lxml import etree

from b2b.coupa import _build as build
from b2b.coupa._values import child, collapsed, decimal, index, text_of
from b2b.documents import Address, Contact, Money, Party, PartyRole
from b2b.errors import InvalidDocument

_CONTACT_ROLES = {"buyer": PartyRole.BUYER, "endUser": PartyRole.END_USER}
_ADDRESS_PARTIES = (("ShipTo", PartyRole.SHIP_TO), ("BillTo", PartyRole.BILL_TO))


def money(element: etree._Element, where: str) -> Money:
    """`<Money currency="USD">12.50</Money>` → Money; InvalidDocument naming `where`."""
    currency = (element.get("currency") or "").strip()
    if not currency:
        raise InvalidDocument(f"{where}@currency is missing")
    return build.Money(amount=decimal(element.text or "", where), currency=currency)


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


ItemDetail = tuple[str, etree._Element | None, str | None, str | None, str | None]
"""UnitOfMeasure, UnitPrice/Money (the element), Description, Classification, ManufacturerPartID."""


def item_detail(detail: etree._Element, where: str) -> ItemDetail:
    """Read an ItemDetail in one pass; InvalidDocument if it has no UnitOfMeasure."""
    uom = price = text = manufacturer_part = None
    classifications = []
    for element in detail:
        tag = element.tag
        if tag == "UnitOfMeasure":
            uom = element if uom is None else uom
        elif tag == "UnitPrice":
            price = element if price is None else price
        elif tag == "Description":
            text = element if text is None else text
        elif tag == "Classification":
            classifications.append(element)
        elif tag == "ManufacturerPartID":
            manufacturer_part = element if manufacturer_part is None else manufacturer_part
    unit_of_measure = text_of(uom)
    if unit_of_measure is None:
        raise InvalidDocument(f"{where}: ItemDetail/UnitOfMeasure is missing")
    return (
        unit_of_measure,
        child(price, "Money"),
        description(text),
        classification(classifications),
        text_of(manufacturer_part),
    )


def classification(elements: list[etree._Element]) -> str | None:
    """The UNSPSC Classification when there is one, else the first."""
    if not elements:
        return None
    first = elements[0]
    if (first.get("domain") or "").upper() == "UNSPSC":
        return text_of(first)
    for candidate in elements:
        if (candidate.get("domain") or "").upper() == "UNSPSC" and text_of(candidate):
            return text_of(candidate)
    return text_of(first)


def comments(elements: list[etree._Element]) -> tuple[str, ...]:
    """The text of each Comments element (attachments left out), blank ones dropped."""
    if not elements:
        return ()
    found = [mixed_text(c, skip="Attachment") for c in elements]
    return tuple([t for t in found if t])


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


def parties(fields: dict[str, etree._Element], contacts: list[etree._Element]) -> tuple[Party, ...]:
    """ShipTo, BillTo, Supplier (if present) and the buyer and end-user `contacts`."""
    found = [
        _address_party(role, address)
        for tag, role in _ADDRESS_PARTIES
        if (address := child(fields.get(tag), "Address")) is not None
    ]
    if "Supplier" in fields:
        found.append(_supplier(fields["Supplier"]))
    for contact in contacts:
        role = _CONTACT_ROLES.get(contact.get("role") or "")
        if role is not None:
            found.append(_contact_party(role, contact))
    return tuple(found)


def _address_party(role: PartyRole, address: etree._Element) -> Party:
    fields = index(address)
    deliver_to, postal_address = _postal_address(
        fields.get("PostalAddress"), address.get("isoCountryCode")
    )
    return build.Party(
        role=role,
        name=text_of(fields.get("Name")),
        identifier=address.get("addressID") or None,
        deliver_to=deliver_to,
        address=postal_address,
        contact=_contact(None, fields),
    )


def _supplier(supplier: etree._Element) -> Party:
    fields = index(supplier)
    return build.Party(
        role=PartyRole.SUPPLIER,
        name=text_of(fields.get("Name")),
        identifier=text_of(fields.get("SupplierID")),
    )


def _contact_party(role: PartyRole, element: etree._Element) -> Party:
    fields = index(element)
    name = text_of(fields.get("Name"))
    deliver_to, postal_address = _postal_address(fields.get("PostalAddress"), None)
    return build.Party(
        role=role,
        name=name,
        identifier=element.get("addressID") or None,
        deliver_to=deliver_to,
        address=postal_address,
        contact=_contact(name, fields),
    )


def _postal_address(
    postal: etree._Element | None, iso_country: str | None
) -> tuple[tuple[str, ...], Address | None]:
    """The DeliverTo lines and the Address of a PostalAddress, read in one pass."""
    if postal is None:
        return (), None
    deliver_to: list[str] = []
    street: list[str] = []
    fields: dict[str, etree._Element] = {}
    for element in postal:
        tag = element.tag
        if tag in {"Street", "DeliverTo"}:
            if (text := text_of(element)) is not None:
                (street if tag == "Street" else deliver_to).append(text)
        elif tag not in fields:
            fields[tag] = element
    country = fields.get("Country")
    code = country.get("isoCountryCode") if country is not None else None
    return tuple(deliver_to), build.Address(
        street=tuple(street),
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
    return build.Contact(name=name, email=email, phone=phone)


def _phone(number: etree._Element | None) -> str | None:
    """TelephoneNumber → "+1 425 5550148 x314"."""
    if number is None:
        return None
    fields = index(number)
    local = text_of(fields.get("Number"))
    if local is None:
        return None
    country = text_of(fields.get("CountryCode"))
    area = text_of(fields.get("AreaOrCityCode"))
    extension = text_of(fields.get("Extension"))
    pieces = [f"+{country}", area, local] if country else [area, local]
    text = " ".join([p for p in pieces if p])
    return f"{text} x{extension}" if extension else text
