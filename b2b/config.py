"""Settings: one typed object, read once (environment and `.env`), passed in.

Every variable is `B2B_<FIELD>`, e.g. `B2B_DATABASE_URL=postgresql+psycopg://...`.

    >>> settings = Settings()
    >>> settings.database_url
    'sqlite:///var/b2b.sqlite3'
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from b2b.errors import ConfigurationError
from b2b.secrets import decode_kek, is_sealed, unseal
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
    #: An operator key for the admin API named "bootstrap" (a new installation's first
    #: credential; then `b2b keys new`/`b2b users add`). Compared by SHA-256, never logged.
    bootstrap_api_key: SecretStr | None = None
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
    #: How often every process looks for changed partners/, buyers/ and certificate files and
    #: reloads them (validated first; a bad edit keeps the old set); 0 = only on request.
    partners_watch_seconds: Annotated[float, Field(ge=0)] = 2.0
    lease_seconds: Annotated[float, Field(gt=0)] = 300.0
    #: Requests a second each client address may make (a token bucket holding `burst`); 0 = off.
    #: Off by default: behind a proxy every caller shares its address, and benches post
    #: thousands a second from one. The partner limit counts AS2 posts per AS2-From.
    rate_limit_per_client: Annotated[float, Field(ge=0)] = 0.0
    rate_limit_client_burst: Annotated[int, Field(ge=1)] = 100
    #: The buckets are per process: N gateway nodes (or uvicorn workers) allow N times the rate
    #: in total (a shared bucket would cost a database round trip per request); set the rate
    #: per node, or limit at the load balancer. `GET /metrics/throttle` says "per process".
    rate_limit_per_partner: Annotated[float, Field(ge=0)] = 0.0
    rate_limit_partner_burst: Annotated[int, Field(ge=1)] = 50
    #: CIDRs of our reverse proxies / load balancers (B2B_TRUSTED_PROXIES='["10.0.0.0/24"]').
    #: Only a request whose TCP peer is one of them has its X-Forwarded-For read (the rightmost
    #: hop that is not ours is the client, for IP allow-lists and throttling); from any other
    #: peer the header is ignored, so a client cannot choose its address.
    trusted_proxies: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _proxy_networks(self) -> Settings:
        import ipaddress

        for cidr in self.trusted_proxies:
            try:
                ipaddress.ip_network(cidr.strip(), strict=True)
            except ValueError as exc:
                raise ConfigurationError(
                    f"settings: B2B_TRUSTED_PROXIES: {cidr!r} is not an address or CIDR: {exc}"
                ) from exc
        return self

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
    #: Log lines as text, or one JSON object a line (with po, message_id, partner... fields).
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: Serve `GET /metrics` without an API key (e.g. when only Prometheus can reach the port).
    metrics_public: bool = False
    #: The key-encryption key that opens sealed secrets (`b2b secrets`): a file outside the
    #: working tree, readable by its owner only, holding 32 random bytes in base64; or the
    #: base64 itself. Set one, not both.
    kek_file: Path | None = None
    kek: SecretStr | None = None
    #: Refuse to start while a secret file the configuration names is not sealed.
    require_sealed: bool = False

    @model_validator(mode="after")
    def _kek_readable(self) -> Settings:
        """A wrong KEK, or a sealed setting it cannot open, stops here, not at first use."""
        self.kek_bytes()
        for name, value in self:
            if isinstance(value, SecretStr) and is_sealed(value.get_secret_value()):
                self.secret(name)
        return self

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
        return ServerTls(
            certificate=certs / self.tls_certificate,
            key=certs / self.tls_key if self.tls_key else None,
            key_passphrase=self.secret("tls_key_passphrase"),
            client_ca=certs / self.tls_client_ca if self.tls_client_ca else None,
            client_auth=self.tls_client_auth,
        )

    def resolve(self, path: Path) -> Path:
        """`path` as given if absolute, else relative to the working directory."""
        return path if path.is_absolute() else Path.cwd() / path

    def kek_bytes(self) -> bytes | None:
        """The KEK from B2B_KEK_FILE or B2B_KEK, or None; ConfigurationError says what is wrong."""
        if self.kek_file is not None and self.kek is not None:
            raise ConfigurationError("settings: set B2B_KEK_FILE or B2B_KEK, not both")
        if self.kek is not None:
            return decode_kek(self.kek.get_secret_value(), where="B2B_KEK")
        if self.kek_file is None:
            return None
        path = self.resolve(self.kek_file)
        check_kek_file(path)
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"B2B_KEK_FILE: cannot read {path}: {exc}") from exc
        return decode_kek(text, where=f"B2B_KEK_FILE {path}")

    def secret(self, name: str) -> str | None:
        """The clear value of a secret setting (e.g. "as2_key_passphrase"), unsealed if sealed.

        >>> settings.secret("coupa_shared_secret")
        'the-shared-secret'
        """
        value = getattr(self, name)
        if value is None:
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not is_sealed(text):
            return text
        variable = f"B2B_{name.upper()}"
        return unseal(text, self.kek_bytes(), variable).decode("utf-8")


def check_kek_file(path: Path) -> None:
    """ConfigurationError unless the KEK file lies outside the working tree and the gateway's
    source tree, and only its owner may read it (a copy in a repository or a backup of it, or a
    file other accounts can read, would give the KEK away with the sealed files)."""
    check_kek_location(path)
    resolved = path.resolve()
    try:
        mode = resolved.stat().st_mode
    except OSError as exc:
        raise ConfigurationError(f"B2B_KEK_FILE: cannot read {path}: {exc.strerror}") from exc
    if mode & 0o077:
        raise ConfigurationError(
            f"B2B_KEK_FILE {path} is readable by group or others (mode {mode & 0o777:o}): "
            f"chmod 600 {path}"
        )


def check_kek_location(path: Path) -> None:
    """ConfigurationError when `path` lies inside the working directory or the source tree."""
    resolved = path.resolve()
    for tree in (Path.cwd().resolve(), _SOURCE_TREE):
        if resolved.is_relative_to(tree):
            raise ConfigurationError(
                f"KEK file {path} lies inside {tree}: keep the KEK outside the working "
                "directory and the repository, where it would travel with the sealed files"
            )


#: The checkout or installation the gateway's code runs from (the KEK must not live there).
_SOURCE_TREE = Path(__file__).resolve().parents[1]


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and `.env`; a wrong value is a ConfigurationError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"B2B_{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"settings: {problems}") from exc
    except SettingsError as exc:  # e.g. a list setting that is not JSON: B2B_AS2_KEYS=ours.pem
        raise ConfigurationError(f"settings: {exc} (list settings are JSON lists)") from exc
