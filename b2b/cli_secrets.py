"""`b2b secrets`: the key-encryption key (KEK) and the sealed secret files it opens.

$ b2b secrets new-kek /etc/b2b/kek          # then B2B_KEK_FILE=/etc/b2b/kek
$ b2b secrets seal certs/acme/sftp_ed25519  # in place (a temporary file, then a rename)
$ b2b secrets check                         # every secret the configuration names: sealed?
$ b2b secrets reseal --old-kek-file /etc/b2b/kek.old   # after B2B_KEK_FILE names a new KEK
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from b2b.config import Settings, check_kek_location, load_settings
from b2b.errors import ConfigurationError
from b2b.secrets import (
    PREFIX,
    decode_kek,
    encode_kek,
    file_context,
    is_sealed,
    key_id,
    new_kek,
    seal,
    unseal,
)

secrets_app = typer.Typer(
    help="Sealed secrets: the KEK, and key, passphrase and password files encrypted with it.",
    no_args_is_help=True,
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        raise _fail(str(exc)) from exc


def _kek(settings: Settings) -> bytes:
    kek = settings.kek_bytes()
    if kek is None:
        raise _fail("no KEK is configured: set B2B_KEK_FILE (make one with `b2b secrets new-kek`)")
    return kek


def _secret_file(settings: Settings, file: Path) -> tuple[Path, str]:
    """The file (as given, else under certs/) and the name it is sealed under."""
    certs = settings.resolve(settings.certs_dir)
    path = file if file.exists() or file.is_absolute() else certs / file
    if not path.is_file():
        raise _fail(f"{file}: no such file (here or under {certs})")
    if not path.resolve().is_relative_to(certs.resolve()):
        raise _fail(f"{path} is not under {certs} (B2B_CERTS_DIR), where secret files live")
    return path, file_context(certs, path)


def _replace(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path` (owner-only), then rename it over."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@secrets_app.command("new-kek")
def new_kek_file(
    path: Annotated[Path, typer.Argument(help="Where to write it, outside the repository.")],
) -> None:
    """Write a new KEK (32 random bytes, base64) readable by its owner only; never overwrites."""
    try:
        check_kek_location(path)
    except ConfigurationError as exc:
        raise _fail(str(exc)) from exc
    kek = new_kek()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise _fail(f"{path} exists; not overwritten") from exc
    except OSError as exc:
        raise _fail(f"cannot write {path}: {exc.strerror}") from exc
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(encode_kek(kek) + "\n")
    typer.echo(f"wrote {path} (KEK {key_id(kek)}); set B2B_KEK_FILE={path.resolve()}")


@secrets_app.command("seal")
def seal_file(
    file: Annotated[Path, typer.Argument(help="A clear secret file under certs/.")],
) -> None:
    """Seal a clear secret file in place with the configured KEK."""
    settings = _settings()
    kek = _kek(settings)
    path, name = _secret_file(settings, file)
    data = path.read_bytes()
    if is_sealed(data):
        raise _fail(f"{path} is already sealed")
    _replace(path, (seal(data, kek, name) + "\n").encode("ascii"))
    typer.echo(f"sealed {path} as {name!r} with KEK {key_id(kek)}")


@secrets_app.command("unseal")
def unseal_file(
    file: Annotated[Path, typer.Argument(help="A sealed secret file under certs/.")],
    stdout: Annotated[bool, typer.Option("--stdout", help="Print the clear content.")] = False,
) -> None:
    """Print a sealed file's clear content (for an operator); the file stays sealed."""
    if not stdout:
        raise _fail("unseal prints the secret: say so with --stdout")
    settings = _settings()
    path, name = _secret_file(settings, file)
    try:
        clear = unseal(path.read_bytes(), _kek(settings), name)
    except ConfigurationError as exc:
        raise _fail(f"{path}: {exc}") from exc
    sys.stdout.buffer.write(clear)
    sys.stdout.buffer.flush()


@secrets_app.command("seal-value")
def seal_value(
    name: Annotated[str, typer.Option(help="The setting, e.g. B2B_AS2_KEY_PASSPHRASE.")],
) -> None:
    """Seal a value for a secret setting: read from stdin (or a hidden prompt), printed sealed."""
    settings = _settings()
    kek = _kek(settings)
    variable = name.upper() if name.upper().startswith("B2B_") else f"B2B_{name.upper()}"
    if sys.stdin.isatty():
        value = typer.prompt(variable, hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.read().strip()
    if not value:
        raise _fail("the value is empty")
    typer.echo(f"{variable}={seal(value.encode('utf-8'), kek, variable)}")


@secrets_app.command("check")
def check() -> None:
    """List every secret file and setting the configuration names, and whether it is sealed."""
    from b2b.partners import load_partners
    from b2b.partners.secret_files import secret_files, secret_settings

    settings = _settings()
    kek = settings.kek_bytes()
    typer.echo(f"KEK {key_id(kek)}" if kek else "no KEK configured (B2B_KEK_FILE)")
    try:
        registry = load_partners(settings.resolve(settings.partners_dir))
        files = secret_files(settings, registry)
    except ConfigurationError as exc:
        raise _fail(str(exc)) from exc
    for secret in files:
        state = "demo" if secret.demo else secret.state()
        typer.echo(f"{state:<8} {secret.path}  ({secret.where})")
    for variable, state in secret_settings(settings).items():
        typer.echo(f"{state:<8} {variable}")


@secrets_app.command("reseal")
def reseal(
    old_kek_file: Annotated[Path, typer.Option(help="The KEK the files are sealed with now.")],
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files (default: every sealed secret file).")
    ] = None,
) -> None:
    """Rotate: open each sealed file with the old KEK and seal it with the configured one."""
    settings = _settings()
    kek = _kek(settings)
    try:
        old = decode_kek(old_kek_file.read_text(encoding="ascii"), where=str(old_kek_file))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {old_kek_file}: {exc}") from exc
    except ConfigurationError as exc:
        raise _fail(str(exc)) from exc
    for path, name in _sealed_files(settings, files or []):
        data = path.read_text(encoding="ascii")
        if data.strip().startswith(f"{PREFIX}{key_id(kek)}:"):
            typer.echo(f"already  {path} (KEK {key_id(kek)})")
            continue
        try:
            clear = unseal(data, old, name)
        except ConfigurationError as exc:
            raise _fail(f"{path}: {exc}") from exc
        _replace(path, (seal(clear, kek, name) + "\n").encode("ascii"))
        typer.echo(f"resealed {path} with KEK {key_id(kek)}")
    typer.echo("sealed settings (B2B_...=b2b-sealed:...) need `b2b secrets seal-value` anew")


def _sealed_files(settings: Settings, files: list[Path]) -> list[tuple[Path, str]]:
    if files:
        return [_secret_file(settings, file) for file in files]
    from b2b.partners import load_partners
    from b2b.partners.secret_files import secret_files

    try:
        registry = load_partners(settings.resolve(settings.partners_dir))
        named = secret_files(settings, registry)
    except ConfigurationError as exc:
        raise _fail(str(exc)) from exc
    unique = {secret.path: secret.name for secret in named if secret.state() == "sealed"}
    return list(unique.items())
