"""Who may call the Coupa routes: one TOML file per buyer in `buyers/`, loaded and checked once.

A buyer is named by the cXML Header/Sender (or From) credential and proves itself with its
SharedSecret (cXML) or its bearer token (Coupa XML); optionally also with HTTP Basic and from
an allowed address. With no buyer files, `B2B_COUPA_SHARED_SECRET` and `B2B_COUPA_API_TOKEN`
stand for one buyer that any sender identity names (the single-buyer shorthand).

    >>> buyers = BuyerDirectory.load(settings)
    >>> buyers.check_cxml(received, Caller(ip="10.1.2.3", authorization=None))
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from b2b.config import Settings
from b2b.documents import Credential, ReceivedOrder
from b2b.errors import AuthenticationFailed, ClientNotAllowed, ConfigurationError
from b2b.partners.registry import read_toml, validated
from b2b.secrets import read_named_secret

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class BuyerProfile(BaseModel):
    """The schema of `buyers/<id>.toml`; unknown keys and impossible values are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    identities: Annotated[tuple[str, ...], Field(min_length=1)]
    shared_secret_file: Annotated[str, Field(min_length=1)]
    basic_auth_user: Annotated[str, Field(min_length=1)] | None = None
    basic_auth_password_file: Annotated[str, Field(min_length=1)] | None = None
    allowed_ips: tuple[str, ...] | None = None
    api_token_file: Annotated[str, Field(min_length=1)] | None = None

    @field_validator("identities")
    @classmethod
    def _domain_identities(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in value if ":" not in v]
        if bad:
            raise ValueError(f"identities are 'domain:identity' (e.g. 'NetworkID:acme'), got {bad}")
        return value

    @field_validator("allowed_ips")
    @classmethod
    def _networks(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for network in value or ():
            try:
                ipaddress.ip_network(network)
            except ValueError as exc:
                raise ValueError(f"{network!r} is not a CIDR network (e.g. '10.0.0.0/8')") from exc
        return value

    @model_validator(mode="after")
    def _basic_auth_pair(self) -> BuyerProfile:
        if (self.basic_auth_user is None) != (self.basic_auth_password_file is None):
            raise ValueError("basic_auth_user and basic_auth_password_file go together")
        return self


@dataclass(frozen=True)
class Caller:
    """Who is at the other end of the HTTP request: its address and Authorization header."""

    ip: str | None = None
    authorization: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Buyer:
    """A buyer profile with its secrets read (None: not required)."""

    id: str
    identities: tuple[str, ...] = ()
    shared_secret: str | None = field(default=None, repr=False)
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)
    networks: tuple[IpNetwork, ...] | None = None
    api_token: str | None = field(default=None, repr=False)

    def check_client(self, ip: str | None) -> None:
        """ClientNotAllowed unless `ip` is in `allowed_ips` (when there is a list)."""
        if self.networks is None:
            return
        address = _address(ip)
        if address is None or not any(address in network for network in self.networks):
            raise ClientNotAllowed(f"buyer {self.id}: the client {ip} is not allowed")

    def check_basic(self, authorization: str | None) -> None:
        """AuthenticationFailed unless the HTTP Basic credentials match (when configured)."""
        if self.basic_auth is None:
            return
        user, password = _basic(authorization)
        ok = _same(user, self.basic_auth[0]) & _same(password, self.basic_auth[1])
        if not ok:
            raise AuthenticationFailed("HTTP Basic authentication is missing or wrong")


class BuyerDirectory:
    """The buyers, by identity; or the single-buyer shorthand from settings."""

    def __init__(self, buyers: Iterable[Buyer], *, shorthand: Buyer | None = None) -> None:
        self._buyers = list(buyers)
        self.shorthand = shorthand
        self._by_identity: dict[tuple[str, str], Buyer] = {}
        for buyer in self._buyers:
            for name in buyer.identities:
                other = self._by_identity.setdefault(_key(*name.split(":", 1)), buyer)
                if other is not buyer:
                    raise ConfigurationError(
                        f"buyers: identity {name} names both {other.id!r} and {buyer.id!r}"
                    )

    def __len__(self) -> int:
        return len(self._buyers)

    def __iter__(self) -> Iterator[Buyer]:
        return iter(self._buyers)

    @classmethod
    def load(cls, settings: Settings) -> BuyerDirectory:
        """Every `*.toml` in `B2B_BUYERS_DIR`, or the shorthand when there is none."""
        folder = settings.resolve(settings.buyers_dir)
        paths = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        if not paths:
            return cls([], shorthand=_shorthand(settings))
        certs = settings.resolve(settings.certs_dir)
        buyers, errors = [], []
        for path in paths:
            try:
                buyers.append(load_buyer(path, certs, kek=settings.kek_bytes()))
            except ConfigurationError as exc:
                errors.append(str(exc))
        if errors:
            raise ConfigurationError("\n".join(errors))
        return cls(buyers)

    def find(self, credentials: Iterable[Credential]) -> Buyer | None:
        """The buyer named by the first credential that names one."""
        for credential in credentials:
            found = self._by_identity.get(_key(credential.domain, credential.identity))
            if found is not None:
                return found
        return None

    def check_cxml(self, received: ReceivedOrder, caller: Caller) -> Buyer:
        """The buyer that sent this cXML, or AuthenticationFailed (401) / ClientNotAllowed (403)."""
        sender = (received.sender,) if received.sender is not None else ()
        buyer = self.shorthand or self.find((*sender, *received.originators))
        if buyer is None:
            named = ", ".join(str(c) for c in (*sender, *received.originators)) or "nobody"
            raise AuthenticationFailed(f"no buyer is configured for {named}")
        buyer.check_client(caller.ip)
        if buyer.shared_secret is not None and not _same(
            received.shared_secret or "", buyer.shared_secret
        ):
            raise AuthenticationFailed("Sender/Credential/SharedSecret is missing or wrong")
        buyer.check_basic(caller.authorization)
        return buyer

    def check_token(self, caller: Caller) -> Buyer:
        """The buyer whose bearer token (or HTTP Basic) this is, for Coupa XML; else 401/403."""
        if self.shorthand is not None:
            buyer = self.shorthand
            if buyer.api_token is not None and not _same(_bearer(caller), buyer.api_token):
                raise AuthenticationFailed("the bearer token is missing or wrong")
            return buyer
        found = self._by_credential(caller)
        if found is None:
            raise AuthenticationFailed("the bearer token or Basic credentials are missing or wrong")
        found.check_client(caller.ip)
        return found

    def _by_credential(self, caller: Caller) -> Buyer | None:
        token = _bearer(caller)
        found = None
        for buyer in self._buyers:  # every buyer is compared: the time does not say which
            if buyer.api_token is not None and _same(token, buyer.api_token):
                found = buyer
            elif buyer.api_token is None and buyer.basic_auth is not None:
                user, password = _basic(caller.authorization)
                if _same(user, buyer.basic_auth[0]) & _same(password, buyer.basic_auth[1]):
                    found = buyer
        return found


def load_buyer(path: Path, certs: Path, *, kek: bytes | None = None) -> Buyer:
    """Read one buyer file and its secret files (sealed or clear, `b2b.secrets`);
    ConfigurationError names file and field."""
    profile = read_buyer_profile(path)

    def secret(name: str | None, where: str) -> str | None:
        return None if name is None else _read_secret(certs, name, f"{path}: {where}", kek)

    password = secret(profile.basic_auth_password_file, "basic_auth_password_file")
    return Buyer(
        id=profile.id,
        identities=profile.identities,
        shared_secret=secret(profile.shared_secret_file, "shared_secret_file"),
        basic_auth=(profile.basic_auth_user, password)
        if profile.basic_auth_user is not None and password is not None
        else None,
        networks=tuple(ipaddress.ip_network(n) for n in profile.allowed_ips)
        if profile.allowed_ips is not None
        else None,
        api_token=secret(profile.api_token_file, "api_token_file"),
    )


def read_buyer_profile(path: Path) -> BuyerProfile:
    """One buyer file, validated (its secret files are not read); ConfigurationError names it."""
    return validated(path, read_toml(path), BuyerProfile)


def _shorthand(settings: Settings) -> Buyer:
    return Buyer(
        id="coupa",
        shared_secret=settings.secret("coupa_shared_secret"),
        api_token=settings.secret("coupa_api_token"),
    )


def _read_secret(certs: Path, name: str, where: str, kek: bytes | None) -> str:
    value = read_named_secret(certs, name, kek, where)
    if not value:
        raise ConfigurationError(f"{where}: {certs / name} is empty")
    return value


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _bearer(caller: Caller) -> str:
    scheme, _, value = (caller.authorization or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _basic(authorization: str | None) -> tuple[str, str]:
    """The user and password of an HTTP Basic header; empty strings when there are none."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    user, _, password = decoded.partition(":")
    return user, password


def _address(ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _key(domain: str, identity: str) -> tuple[str, str]:
    return (domain.strip().lower(), identity.strip())
