"""Settings: one typed object, read once (environment and `.env`), passed in.

Every variable is `B2B_<FIELD>`, e.g. `B2B_DATABASE_URL=postgresql+psycopg://...`.

    >>> settings = Settings()
    >>> settings.database_url
    'sqlite:///var/b2b.sqlite3'
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from b2b.errors import ConfigurationError
from b2b.tls import ClientAuth, ServerTls, check_server_tls

#: The demo identity committed in certs/demo: public, for the example partners only.
DEMO_AS2_KEY = "demo/b2b-gateway.pem"


class Settings(BaseSettings):
    """Every setting of the gateway. Unknown `B2B_` variables in `.env` are refused."""

    model_config = SettingsConfigDict(
        env_prefix="B2B_", env_file=".env", extra="forbid", frozen=True
    )

    database_url: str = "sqlite:///var/b2b.sqlite3"
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    partners_dir: Path = Path("partners")
    #: Buyer profiles (`<id>.toml`) for the Coupa routes; none: the B2B_COUPA_* shorthand.
    buyers_dir: Path = Path("buyers")
    maps_dir: Path = Path("maps")
    certs_dir: Path = Path("certs")
    data_dir: Path = Path("var")
    max_body_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    #: cXML Header/Sender/Credential/SharedSecret Coupa must present; None accepts any sender.
    coupa_shared_secret: SecretStr | None = None
    #: Bearer token for `POST /coupa/orders` (Coupa XML); None accepts any caller.
    coupa_api_token: SecretStr | None = None
    #: Our AS2 name (AS2-From of what we send, AS2-To of what partners send us).
    as2_id: Annotated[str, Field(min_length=1, max_length=128)] = "B2B-GATEWAY"
    #: Our AS2 key files under certs/ (PEM key + certificate, or PKCS#12): the first signs and
    #: every one is tried for decryption (two during a certificate rollover).
    as2_keys: tuple[str, ...] = (DEMO_AS2_KEY,)
    as2_key_passphrase: SecretStr | None = None
    #: The URL partners reach this gateway at: async MDNs are requested to <public_url>/as2/mdn.
    public_url: str = "http://127.0.0.1:8080"
    #: The largest AS2 payload we inflate or decrypt (a decompression bomb stops here).
    as2_max_payload_bytes: Annotated[int, Field(ge=1024)] = 512 * 1024 * 1024
    #: The host part of payloadIDs we generate.
    payload_id_host: str = "b2b.local"
    #: Run the outbound worker inside `b2b serve` (the embedded default).
    embedded_worker: bool = True
    worker_poll_seconds: Annotated[float, Field(gt=0)] = 1.0
    lease_seconds: Annotated[float, Field(gt=0)] = 300.0
    #: Requests a second each client address may make (a token bucket holding `burst`); 0 = off.
    #: Off by default: behind a proxy every caller shares its address, and benches post
    #: thousands a second from one. The partner limit counts AS2 posts per AS2-From.
    rate_limit_per_client: Annotated[float, Field(ge=0)] = 0.0
    rate_limit_client_burst: Annotated[int, Field(ge=1)] = 100
    rate_limit_per_partner: Annotated[float, Field(ge=0)] = 0.0
    rate_limit_partner_burst: Annotated[int, Field(ge=1)] = 50
    #: HTTPS served by the gateway itself: PEM certificate chain and key under certs/ (the key
    #: may sit in the certificate file). Unset: plain HTTP (e.g. behind a TLS proxy).
    tls_certificate: Path | None = None
    tls_key: Path | None = None
    tls_key_passphrase: SecretStr | None = None
    #: PEM CA(s) under certs/ that sign AS2 partners' client certificates: when set, clients are
    #: asked for one; "required" refuses a client without one at the handshake (Coupa presents
    #: none: use "optional", or a listener of its own, when Coupa posts to the same port).
    tls_client_ca: Path | None = None
    tls_client_auth: ClientAuth = "required"

    @model_validator(mode="after")
    def _tls_files(self) -> Settings:
        if self.tls_certificate is None and (self.tls_key or self.tls_client_ca):
            raise ConfigurationError(
                "settings: B2B_TLS_KEY/B2B_TLS_CLIENT_CA need B2B_TLS_CERTIFICATE"
            )
        if (tls := self.server_tls()) is not None:
            check_server_tls(tls)
        return self

    def server_tls(self) -> ServerTls | None:
        """The gateway's HTTPS files resolved under certs_dir; None when it serves plain HTTP."""
        if self.tls_certificate is None:
            return None
        certs = self.resolve(self.certs_dir)
        passphrase = self.tls_key_passphrase
        return ServerTls(
            certificate=certs / self.tls_certificate,
            key=certs / self.tls_key if self.tls_key else None,
            key_passphrase=passphrase.get_secret_value() if passphrase else None,
            client_ca=certs / self.tls_client_ca if self.tls_client_ca else None,
            client_auth=self.tls_client_auth,
        )

    def resolve(self, path: Path) -> Path:
        """`path` as given if absolute, else relative to the working directory."""
        return path if path.is_absolute() else Path.cwd() / path


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and `.env`; a wrong value is a ConfigurationError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"B2B_{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"settings: {problems}") from exc
