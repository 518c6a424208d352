"""The gateway's own HTTPS: check the configured files once, and hand them to uvicorn.

Settings name the files (`B2B_TLS_CERTIFICATE`, `B2B_TLS_KEY`, `B2B_TLS_KEY_PASSPHRASE`,
`B2B_TLS_CLIENT_CA`, `B2B_TLS_CLIENT_AUTH`); `check_server_tls` refuses a missing file, an
unreadable one or a key that is not the certificate's, naming the setting.

    >>> uvicorn.run(app, **uvicorn_options(settings.server_tls()))
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypedDict

from b2b.errors import ConfigurationError

ClientAuth = Literal["required", "optional"]


@dataclass(frozen=True, slots=True)
class ServerTls:
    """The resolved HTTPS files of the gateway; `client_ca` asks clients for a certificate."""

    certificate: Path
    key: Path | None = None
    key_passphrase: str | None = None
    client_ca: Path | None = None
    client_auth: ClientAuth = "required"


def check_server_tls(tls: ServerTls) -> None:
    """Raise ConfigurationError naming the setting if a file is missing, unreadable or the key
    does not belong to the certificate."""
    _exists("B2B_TLS_CERTIFICATE", tls.certificate)
    if tls.key is not None:
        _exists("B2B_TLS_KEY", tls.key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(tls.certificate, tls.key, password=tls.key_passphrase or "")
    except (OSError, ssl.SSLError) as exc:
        setting = "B2B_TLS_KEY" if tls.key is not None else "B2B_TLS_CERTIFICATE"
        raise ConfigurationError(
            f"settings: {setting}: cannot use {tls.key or tls.certificate} with the certificate "
            f"{tls.certificate} (not its key, wrong passphrase or not PEM): {exc}"
        ) from exc
    if tls.client_ca is not None:
        _exists("B2B_TLS_CLIENT_CA", tls.client_ca)
        try:
            context.load_verify_locations(cafile=tls.client_ca)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(
                f"settings: B2B_TLS_CLIENT_CA: {tls.client_ca}: no PEM certificate: {exc}"
            ) from exc


class UvicornTls(TypedDict, total=False):
    """The connection keyword arguments of `uvicorn.run` and `uvicorn.Config` we set."""

    ssl_certfile: str
    ssl_keyfile: str | None
    ssl_keyfile_password: str | None
    ssl_ca_certs: str
    ssl_cert_reqs: int
    http: str
    proxy_headers: bool


def uvicorn_tls_options(tls: ServerTls | None) -> UvicornTls:
    """The `ssl_*` keyword arguments of `uvicorn.run`/`uvicorn.Config`; none for plain HTTP."""
    if tls is None:
        return {}
    options: UvicornTls = {
        "ssl_certfile": str(tls.certificate),
        "ssl_keyfile": str(tls.key) if tls.key else None,
        "ssl_keyfile_password": tls.key_passphrase,
    }
    if tls.client_ca is not None:
        options["ssl_ca_certs"] = str(tls.client_ca)
        required = tls.client_auth == "required"
        options["ssl_cert_reqs"] = ssl.CERT_REQUIRED if required else ssl.CERT_OPTIONAL
    return options


#: uvicorn's HTTP protocol, passing the client certificate to the app (`b2b.api.peercert`).
CLIENT_CERTIFICATE_PROTOCOL = "b2b.api.peercert:ClientCertificateProtocol"


def uvicorn_options(tls: ServerTls | None) -> UvicornTls:
    """Every connection keyword of `uvicorn.run`/`uvicorn.Config` for the gateway: the TLS
    files; the protocol that hands the client certificate to the app when clients are asked
    for one (an AS2 partner's post is checked against it); and uvicorn's own X-Forwarded-For
    handling off (`b2b.api.proxies` reads it, from B2B_TRUSTED_PROXIES only).

    >>> uvicorn.run(app, **uvicorn_options(settings.server_tls()))
    """
    options = uvicorn_tls_options(tls)
    options["proxy_headers"] = False
    if tls is not None and tls.client_ca is not None:
        options["http"] = CLIENT_CERTIFICATE_PROTOCOL
    return options


def _exists(setting: str, path: Path) -> None:
    if not path.is_file():
        raise ConfigurationError(f"settings: {setting}: no such file: {path}")
