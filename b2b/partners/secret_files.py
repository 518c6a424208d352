"""Every secret the configuration names, and whether it is sealed (`b2b.secrets`).

Secret files: our AS2 keys (B2B_AS2_KEYS), each partner's SFTP keys and passphrase files,
AS2 HTTP Basic password files (ours to the partner, and the partner's to us) and Coupa
shared-secret files, and each buyer's secret files.
Secret settings: B2B_AS2_KEY_PASSPHRASE, B2B_TLS_KEY_PASSPHRASE, B2B_COUPA_SHARED_SECRET,
B2B_COUPA_API_TOKEN, B2B_BOOTSTRAP_API_KEY. The public demo files under certs/demo/ are
exempt. TLS key files (B2B_TLS_KEY, `tls_client_certificate`) are read by the TLS library from
their path, so they cannot be sealed: encrypt them with a passphrase and seal that instead.

    >>> for warning in check_sealed(settings, registry):
    ...     log.warning("%s", warning)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from b2b.config import Settings
from b2b.errors import ConfigurationError
from b2b.partners.buyers import read_buyer_profile
from b2b.partners.profile import As2Transport, PartnerProfile, SftpServer
from b2b.partners.registry import PartnerRegistry
from b2b.secrets import file_context, is_sealed

#: Settings that hold a secret; each may hold a sealed value (named by its variable).
SECRET_SETTINGS = (
    "as2_key_passphrase",
    "tls_key_passphrase",
    "coupa_shared_secret",
    "coupa_api_token",
    "bootstrap_api_key",
)
#: The public demo identity and secrets, committed on purpose (certs/demo/).
DEMO_FOLDER = "demo/"


@dataclass(frozen=True)
class SecretFile:
    """A secret file the configuration names: who names it, where it is, its sealing name."""

    where: str  # "partner acme: transport.private_key"
    path: Path
    name: str  # the context it is sealed under: its path below certs/

    def state(self) -> str:
        """ "sealed", "clear" or "missing"."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return "missing"
        return "sealed" if is_sealed(data) else "clear"

    @property
    def demo(self) -> bool:
        """True for the public demo files, which need no sealing."""
        return self.name.startswith(DEMO_FOLDER)


def secret_files(settings: Settings, registry: PartnerRegistry) -> list[SecretFile]:
    """Every secret file named by settings, partner profiles and buyer profiles."""
    certs = settings.resolve(settings.certs_dir)
    named = [("B2B_AS2_KEYS", name) for name in settings.as2_keys]
    for profile in registry:
        named += [(f"partner {profile.id}: {field}", name) for field, name in _partner(profile)]
    named += _buyers(settings)
    return [
        SecretFile(where, certs / name, file_context(certs, certs / name)) for where, name in named
    ]


def secret_settings(settings: Settings) -> dict[str, str]:
    """Each secret setting that is set, by its variable: "sealed" or "clear"."""
    found = {}
    for name in SECRET_SETTINGS:
        value = getattr(settings, name, None)
        if isinstance(value, SecretStr):
            state = "sealed" if is_sealed(value.get_secret_value()) else "clear"
            found[f"B2B_{name.upper()}"] = state
    return found


def check_sealed(settings: Settings, registry: PartnerRegistry) -> list[str]:
    """Warnings for each clear secret while a KEK is configured (none without a KEK);
    with B2B_REQUIRE_SEALED a ConfigurationError naming every clear secret instead."""
    clear = [
        f"{file.where}: {file.path} is not sealed"
        for file in secret_files(settings, registry)
        if not file.demo and file.state() == "clear"
    ]
    clear += [
        f"{name} is not sealed" for name, s in secret_settings(settings).items() if s == "clear"
    ]
    if clear and settings.require_sealed:
        raise ConfigurationError(
            "B2B_REQUIRE_SEALED: clear secrets (seal them with `b2b secrets seal`): "
            + "; ".join(clear)
        )
    if settings.kek_bytes() is None:
        return []
    return [f"{line} (seal it with `b2b secrets seal`)" for line in clear]


def _partner(profile: PartnerProfile) -> Iterator[tuple[str, str]]:
    for section, server in (("transport", profile.transport), ("inbound", profile.inbound)):
        if isinstance(server, SftpServer):
            yield f"{section}.private_key", server.private_key
            if server.private_key_passphrase_file:
                yield f"{section}.private_key_passphrase_file", server.private_key_passphrase_file
    if isinstance(profile.transport, As2Transport) and profile.transport.basic_auth_password_file:
        yield "transport.basic_auth_password_file", profile.transport.basic_auth_password_file
    if profile.as2 is not None and profile.as2.inbound_basic_auth_password_file:
        yield "as2.inbound_basic_auth_password_file", profile.as2.inbound_basic_auth_password_file
    if profile.coupa.documents is not None:
        yield "coupa.documents.shared_secret_file", profile.coupa.documents.shared_secret_file


def _buyers(settings: Settings) -> list[tuple[str, str]]:
    folder = settings.resolve(settings.buyers_dir)
    named = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        profile = read_buyer_profile(path)
        for field in ("shared_secret_file", "basic_auth_password_file", "api_token_file"):
            name = getattr(profile, field)
            if name is not None:
                named.append((f"{path}: {field}", name))
    return named
