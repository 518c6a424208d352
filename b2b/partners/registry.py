"""Load and look up partner profiles.

>>> registry = load_partners(Path("partners"))
>>> registry.route(received.recipients).id
'acme'
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from b2b.documents import Credential
from b2b.errors import ConfigurationError, UnknownPartner
from b2b.partners.profile import PartnerProfile

Profile = TypeVar("Profile", bound=BaseModel)

SUPPLIER_NUMBER_DOMAIN = "supplier-number"
#: the value `b2b partners new` writes where the operator must fill one in; refused at load
PLACEHOLDER = "FILL-ME"


def load_profile(path: Path) -> PartnerProfile:
    """Read one profile file; a wrong one raises ConfigurationError naming file and field."""
    data = read_toml(path)
    missing = missing_values(data)
    if missing:
        raise ConfigurationError(f"{path}: fill in {', '.join(missing)} (still {PLACEHOLDER})")
    return validated(path, data, PartnerProfile)


def read_toml(path: Path) -> dict[str, Any]:
    """A profile file's table; ConfigurationError names the file it cannot read or parse."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc


def validated(path: Path, data: dict[str, Any], model: type[Profile]) -> Profile:
    """`data` as a `model` whose `id` is the file's name (partners/acme.toml: id "acme");
    ConfigurationError names the file, each wrong field and its allowed values."""
    try:
        profile = model.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(describe_errors(path, exc)) from exc
    if data["id"] != path.stem:
        raise ConfigurationError(
            f"{path}: id: {data['id']!r} must equal the file name {path.stem!r}"
        )
    return profile


def missing_values(data: object, path: str = "") -> list[str]:
    """The dotted paths of every value that still holds PLACEHOLDER, in file order.

    >>> missing_values({"x12": {"envelope": {"receiver_id": "FILL-ME"}}})
    ['x12.envelope.receiver_id']
    """
    if isinstance(data, dict):
        return [m for k, v in data.items() for m in missing_values(v, f"{path}.{k}".lstrip("."))]
    if isinstance(data, list):
        return [path] if any(missing_values(v, path) for v in data) else []
    return [path] if isinstance(data, str) and PLACEHOLDER in data else []


def describe_errors(path: Path, exc: ValidationError) -> str:
    """One line per field error: `<file>: <field>: <message> (allowed: ...)`."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"]
        allowed = (err.get("ctx") or {}).get("expected")
        if allowed:
            message = f"{message} (allowed: {allowed})"
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        lines.append(f"{path}: {where}: {message}")
    return "\n".join(lines)


class PartnerRegistry:
    """The loaded partners, indexed by every identity that routes to them."""

    def __init__(self, profiles: Iterable[PartnerProfile]) -> None:
        self._by_id: dict[str, PartnerProfile] = {}
        self._by_identity: dict[tuple[str, str], PartnerProfile] = {}
        self._by_interchange_id: dict[tuple[str, str], PartnerProfile] = {}
        self._by_as2_id: dict[str, PartnerProfile] = {}
        for profile in profiles:
            self._add(profile)

    def _add(self, profile: PartnerProfile) -> None:
        if profile.id in self._by_id:
            raise ConfigurationError(f"partner id {profile.id!r} is defined twice")
        self._by_id[profile.id] = profile
        names = [*profile.coupa.identities]
        names += [f"{SUPPLIER_NUMBER_DOMAIN}:{n}" for n in profile.coupa.supplier_numbers]
        for name in names:
            other = self._by_identity.setdefault(_key(*name.split(":", 1)), profile)
            if other is not profile:
                raise ConfigurationError(
                    f"identity {name} routes to both {other.id!r} and {profile.id!r}"
                )
        if profile.as2 is not None:  # AS2-From names one partner: what it sends is theirs
            other = self._by_as2_id.setdefault(profile.as2.as2_id, profile)
            if other is not profile:
                raise ConfigurationError(
                    f"AS2 ID {profile.as2.as2_id!r} is used by both {other.id!r} and {profile.id!r}"
                )
        envelope = profile.x12.envelope
        # Their ISA05/ISA06 as they send to us: the receiver of what we send them.
        self._by_interchange_id.setdefault(
            (envelope.receiver_qualifier, envelope.receiver_id), profile
        )

    def __iter__(self) -> Iterator[PartnerProfile]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, partner_id: str) -> PartnerProfile:
        """The profile with `partner_id`; KeyError if there is none."""
        return self._by_id[partner_id]

    def by_interchange_sender(self, qualifier: str, identifier: str) -> PartnerProfile | None:
        """The partner whose ISA05/ISA06 this is (the receiver ID of the 850s we send it)."""
        return self._by_interchange_id.get((qualifier, identifier.strip()))

    def route(self, recipients: Iterable[Credential]) -> PartnerProfile:
        """The partner named by the first recipient that matches, else UnknownPartner."""
        names = []
        for credential in recipients:
            found = self._by_identity.get(_key(credential.domain, credential.identity))
            if found is not None:
                return found
            names.append(str(credential))
        named = ", ".join(names) or "no recipient identity"
        raise UnknownPartner(f"no trading partner is configured for {named}")


def _key(domain: str, identity: str) -> tuple[str, str]:
    # cXML credential domains are case-insensitive in practice (DUNS, duns); identities are not.
    return (domain.strip().lower(), identity.strip())


def load_partners(folder: Path) -> PartnerRegistry:
    """Load every `*.toml` in `folder`; all errors of all files are reported together."""
    profiles, errors = [], []
    for path in sorted(folder.glob("*.toml")):
        try:
            profiles.append(load_profile(path))
        except ConfigurationError as exc:
            errors.append(str(exc))
    if errors:
        raise ConfigurationError("\n".join(errors))
    return PartnerRegistry(profiles)
