"""The `b2b` command: serve, worker, partners check, certs new, messages list/show, inbound list,
db upgrade/current.

$ b2b serve                 # HTTP gateway + embedded worker, SQLite by default
$ b2b messages show --po 4711
"""

from __future__ import annotations

import json
import signal
import threading
from typing import Annotated, Any

import typer

from b2b.api.views import document_json, message_json, rejection_json, timeline
from b2b.cli_admin import keys_app, users_app
from b2b.cli_secrets import secrets_app
from b2b.config import Settings, load_settings
from b2b.errors import ConfigurationError

app = typer.Typer(
    help="b2b: Coupa purchase orders to X12 over SFTP/AS2, every message tracked.\n\n"
    "Exit codes: 0 ok; 1 a problem was found or nothing was (an overdue acknowledgment, a "
    "partner failing its test, an unknown message); 2 usage or configuration error.",
    no_args_is_help=True,
)
partners_app = typer.Typer(
    help="Trading partner profiles. A running gateway reloads changed profiles by itself "
    "within B2B_PARTNERS_WATCH_SECONDS (2 s); POST /partners/reload does it at once.",
    no_args_is_help=True,
)
messages_app = typer.Typer(help="Where is a PO? Messages and their history.", no_args_is_help=True)
certs_app = typer.Typer(help="Our AS2 keys and certificates.", no_args_is_help=True)
inbound_app = typer.Typer(help="What partners sent us, and what we answered.", no_args_is_help=True)
db_app = typer.Typer(help="The database's schema: Alembic migrations.", no_args_is_help=True)
app.add_typer(partners_app, name="partners")
app.add_typer(certs_app, name="certs")
app.add_typer(messages_app, name="messages")
app.add_typer(inbound_app, name="inbound")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(secrets_app, name="secrets")


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _logging(settings: Settings | None = None) -> None:
    """B2B_LOG_FORMAT (text or json) and B2B_LOG_LEVEL for every logger, uvicorn's too."""
    from b2b.logs import configure_logging

    configure_logging(settings or _settings())


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (B2B_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (B2B_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="HTTP worker processes.")] = 1,
) -> None:
    """Run the HTTP gateway; with B2B_EMBEDDED_WORKER (default) it also sends."""
    import uvicorn

    from b2b.api.workers import serve_dealt
    from b2b.tls import uvicorn_options

    settings = _settings()
    _check(settings)
    _logging(settings)
    config = uvicorn.Config(
        "b2b.api.app:app_from_environment",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,  # ours (b2b.logs), set above and again in each worker process
        log_level=settings.log_level.lower(),
        access_log=settings.log_format == "json",  # a JSON line a request, for log pipelines
        **uvicorn_options(settings.server_tls()),  # proxy_headers=False: b2b.api.proxies
    )
    if workers > 1:
        serve_dealt(config, workers=workers)  # connections dealt to the workers in turn
    else:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            raise typer.Exit(3)  # uvicorn's exit status for a failed start


@app.command()
def worker() -> None:
    """Run an outbound worker process (map, number, send) until interrupted."""
    from b2b.engine import open_gateway
    from b2b.worker import run_worker, worker_name

    _logging()
    gateway = open_gateway(_settings())
    stop = threading.Event()

    def _stop(*_: object) -> None:
        stop.set()
        gateway.wake.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        run_worker(gateway, name=worker_name(), stop=stop)
    finally:
        gateway.close()


def _check(settings: Settings) -> None:
    from b2b.coupa import CxmlCodes
    from b2b.engine import load_coupa_secrets
    from b2b.mapping import MapLibrary
    from b2b.partners import load_partners
    from b2b.partners.buyers import BuyerDirectory
    from b2b.x12 import SetSchemas

    try:
        registry = load_partners(settings.resolve(settings.partners_dir))
        MapLibrary.load(settings.resolve(settings.maps_dir))
        SetSchemas.load(settings.resolve(settings.maps_dir) / "x12")
        CxmlCodes.load(settings.resolve(settings.maps_dir) / "cxml" / "codes.toml")
        load_coupa_secrets(settings, registry)
        buyers = BuyerDirectory.load(settings)
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    _check_as2(settings, registry)
    for profile in registry:
        typer.echo(
            f"ok  {profile.id:<16} {profile.name} "
            f"(X12 {profile.x12.version}, {profile.transport.kind})"
        )
    for buyer in buyers:
        typer.echo(f"ok  buyer {buyer.id:<10} {', '.join(buyer.identities)}")


def _check_as2(settings: Settings, registry: Any) -> None:
    from b2b.partners.secret_files import check_sealed
    from b2b.partners.security import As2Directory
    from b2b.store import utcnow

    try:
        directory = As2Directory.load(settings, registry)
        warnings = directory.expiring(now=utcnow()) + check_sealed(settings, registry)
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


@certs_app.command("new")
def certs_new(
    name: Annotated[str, typer.Argument(help="File name under certs/, e.g. ours.pem")],
    common_name: Annotated[str | None, typer.Option(help="CN (default: B2B_AS2_ID).")] = None,
    days: Annotated[int, typer.Option(help="Validity in days.")] = 730,
    passphrase: Annotated[
        str | None, typer.Option(help="Encrypt the key (then set B2B_AS2_KEY_PASSPHRASE).")
    ] = None,
) -> None:
    """Make an RSA-2048 key and a self-signed certificate for our AS2 identity.

    Writes certs/NAME (key + certificate, for B2B_AS2_KEYS) and certs/<stem>-public.pem (the
    certificate to give partners). Never overwrites.
    """
    from b2b.as2 import certificate_pem, new_self_signed, private_key_pem
    from b2b.secrets import file_context, seal
    from b2b.store import utcnow

    settings = _settings()
    folder = settings.resolve(settings.certs_dir)
    target = folder / name
    public = folder / f"{target.stem}-public.pem"
    for path in (target, public):
        if path.exists():
            typer.echo(f"error: {path} exists; not overwritten", err=True)
            raise typer.Exit(2)
    pair = new_self_signed(common_name or settings.as2_id, now=utcnow(), days=days)
    folder.mkdir(parents=True, exist_ok=True)
    cert = certificate_pem(pair.certificate)
    key = private_key_pem(pair.private_key, passphrase) + cert
    kek = settings.kek_bytes()  # sealed with the KEK when one is configured (`b2b secrets`)
    sealed = None if kek is None else seal(key, kek, file_context(folder, target)) + "\n"
    target.write_bytes(key if sealed is None else sealed.encode())
    target.chmod(0o600)
    public.write_bytes(cert)
    typer.echo(f"wrote {target} (key + certificate) and {public} (give this to partners)")
    typer.echo(f"set B2B_AS2_KEYS='[\"{name}\"]'  (a JSON list: the first signs, all decrypt)")


@partners_app.command("check")
def partners_check() -> None:
    """Validate every profile in partners/ and buyers/, their files (certificates, secrets) and
    every map in maps/ (X12 rules in maps/x12/ too); warn of certificates within 60, 30, 14 or 7
    days of expiry; exit 2 on any error."""
    _check(_settings())


def _engine() -> Any:
    from b2b.store import open_engine

    return open_engine(_settings().database_url)


@messages_app.command("show")
def messages_show(
    message_id: Annotated[int | None, typer.Argument(help="Message id.")] = None,
    po: Annotated[str | None, typer.Option(help="PO number.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Everything about a message (or a PO: messages, partner documents, rejections)."""
    from b2b.store import (
        BusinessDocumentView,
        find_business_documents,
        find_messages,
        find_rejections,
        get_message,
        utcnow,
    )

    engine = _engine()
    documents: list[BusinessDocumentView] = []
    if message_id is not None:
        found = get_message(engine=engine, message_id=message_id)
        views = [] if found is None else [found]
        refused = []
    elif po is not None:
        views = find_messages(engine=engine, po=po)
        refused = find_rejections(engine=engine, po=po)
        documents = find_business_documents(engine=engine, po=po)
    else:
        raise typer.BadParameter("give a message id or --po")
    if not views and not refused and not documents:
        typer.echo("nothing found", err=True)
        raise typer.Exit(1)
    now = utcnow()
    data = {
        "messages": [message_json(v, now) for v in views],
        "documents": [document_json(d) for d in documents],
        "rejections": [rejection_json(r) for r in refused],
    }
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for m in data["messages"]:
        _print_message(m)
    for d in data["documents"]:
        typer.echo(
            f"received {d['transaction_set']} from {d['partner_id']} at {d['received_at']}"
            f"  ISA13 {d['interchange_control_number']}  ST02 {d['control_number']}"
        )
        typer.echo(f"  {json.dumps(d['summary'])}")
    for r in data["rejections"]:
        typer.echo(f"rejected {r['received_at']}  {r['error']}: {r['reason']}")
    if po is not None:
        typer.echo(f"timeline of PO {po}:")
        for step in timeline(views, documents, refused):
            detail = step["detail"]
            detail = detail if isinstance(detail, str) else json.dumps(detail)
            typer.echo(f"  {step['at']}  {step['step']:<28} {detail}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to B2B_DATABASE_URL (serve and worker also do, at start)."""
    from b2b.errors import StoreUnavailable
    from b2b.store import migrations, open_engine, transaction

    _logging()  # Alembic logs each revision it applies
    try:
        engine = open_engine(_settings().database_url, create=False)
        with transaction(engine) as conn:
            revision = migrations.upgrade(conn)
        engine.dispose()
    except (ConfigurationError, StoreUnavailable) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"database at revision {revision}")


@db_app.command("current")
def db_current() -> None:
    """Print the revision of B2B_DATABASE_URL and the newest this gateway knows."""
    from b2b.store import migrations, open_engine, transaction

    engine = open_engine(_settings().database_url, create=False)
    with transaction(engine) as conn:
        found = migrations.current(conn)
    engine.dispose()
    typer.echo(
        f"database at revision {found or 'none'}; this gateway's newest is {migrations.head()}"
    )


def _print_message(m: dict[str, Any]) -> None:
    cn = m["control_numbers"]
    typer.echo(
        f"message {m['id']}  PO {m['po_number']} (v{m['po_version'] or 1}, "
        f"{m['order_type']})  partner {m['partner_id']}  state {m['state'].upper()}"
    )
    if m["source_format"]:
        typer.echo(f"  document {m['source_format']} {m['document_key']}")
    typer.echo(
        f"  X12 {m['transaction_set']}  ISA13 {cn['ISA13'] or '-'}  GS06 "
        f"{cn['GS06'] or '-'}  ST02 {','.join(cn['ST02']) or '-'}  file {m['filename'] or '-'}"
    )
    if m["last_error"]:
        typer.echo(f"  last error: {m['last_error']}")
    if m["overdue"]:
        typer.echo(f"  acknowledgment OVERDUE since {m['ack_due_at']}")
    elif m["ack_state"]:
        typer.echo(f"  acknowledged: {m['ack_state']} at {m['ack_received_at']}")
    for e in m["events"]:
        typer.echo(f"  {e['at']}  {e['state']:<9} {e['detail']}")


def main() -> None:
    """Entry point of the `b2b` script and `python -m b2b`."""
    app()


# Subcommand groups kept in their own modules register themselves on the apps above.
from b2b import cli_messages, cli_partners  # noqa: E402, F401
from b2b.cli_acks import acks_app  # noqa: E402

app.add_typer(acks_app, name="acks")
