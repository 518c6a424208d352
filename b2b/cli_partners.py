"""`b2b partners new | test | reload`: onboard a partner, test it live, reload the profiles.

Registered on `b2b.cli.partners_app` when `b2b.cli` is imported.

$ b2b partners new acme2 --transport sftp --host sftp.acme.example
$ b2b partners test acme2     # exit 0 all ok, 1 the partner failed the test, 2 configuration
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from b2b.cli import _settings, partners_app
from b2b.cli_output import console
from b2b.config import Settings
from b2b.partners.livetest import LiveTestResult, Status, live_test

STYLES = {Status.OK: "green", Status.FAILED: "bold red", Status.SKIPPED: "yellow"}


@partners_app.command("test")
def partners_test(
    name: Annotated[str, typer.Argument(help="The partner's id (its profile's file name).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A live round trip with the partner, without touching the message queue.

    AS2: a test interchange (ISA15 T, a TA1 only) with a signed synchronous MDN, checked
    strictly; SFTP: connect (host key pinned), write, stat and remove a test file under the
    temporary suffix; directory: write, stat, remove. Each step is printed with a diagnosis.

    Exit 0 all ok, 1 the partner failed the test, 2 our configuration is wrong.
    """
    result = live_test(_settings(), name)
    if as_json:
        typer.echo(json.dumps(result_json(result), indent=2))
    else:
        print_result(result)
    raise typer.Exit(result.exit_code)


def result_json(result: LiveTestResult) -> dict[str, object]:
    """The result as JSON-ready data."""
    return {
        "partner": result.partner_id,
        "transport": result.transport,
        "ok": result.ok,
        "exit_code": result.exit_code,
        "steps": [
            {
                "step": s.name,
                "status": s.status.value,
                "detail": s.detail,
                "diagnosis": s.diagnosis,
                "blame": s.blame.value if s.status is Status.FAILED else None,
            }
            for s in result.steps
        ],
    }


def print_result(result: LiveTestResult) -> None:
    """A table of the steps, then one line with the verdict."""
    table = Table(title=f"partner {result.partner_id} ({result.transport})")
    for column in ("step", "result", "detail", "diagnosis"):
        table.add_column(column, overflow="fold")
    for step in result.steps:
        style = STYLES[step.status]
        table.add_row(step.name, f"[{style}]{step.status.value}[/]", step.detail, step.diagnosis)
    out = console()
    out.print(table)
    verdict = {0: "ok", 1: "FAILED: the partner failed the test", 2: "FAILED: configuration"}
    out.print(verdict[result.exit_code])


#: the key `b2b partners new` makes for our AS2 identity when we have only the demo key
OUR_KEY = "ours.pem"


@partners_app.command("new")
def partners_new(  # noqa: PLR0917 (one option per profile field it can fill)
    name: Annotated[str, typer.Argument(help="The partner's id: partners/NAME.toml.")],
    transport: Annotated[str, typer.Option(help="as2, sftp or directory.")],
    title: Annotated[str | None, typer.Option("--name", help="The partner's name.")] = None,
    identity: Annotated[
        str | None, typer.Option(help="Coupa's cXML To credential, domain:identity.")
    ] = None,
    sender_id: Annotated[str | None, typer.Option(help="Our ISA06 for this partner.")] = None,
    receiver_id: Annotated[str | None, typer.Option(help="The partner's ISA08.")] = None,
    as2_id: Annotated[str | None, typer.Option(help="AS2: the partner's AS2 ID.")] = None,
    url: Annotated[str | None, typer.Option(help="AS2: the partner's AS2 URL.")] = None,
    certificate: Annotated[
        str | None, typer.Option(help="AS2: the partner's certificate file under certs/.")
    ] = None,
    host: Annotated[str | None, typer.Option(help="SFTP: the partner's server.")] = None,
    username: Annotated[str | None, typer.Option(help="SFTP: our user there.")] = None,
    path: Annotated[str | None, typer.Option(help="directory: the folder.")] = None,
) -> None:
    """Write partners/NAME.toml from a commented template: every field of the schema for that
    transport, the defaults and allowed values in comments, FILL-ME where a value is needed
    (`b2b partners check` names each one left). Never overwrites.

    For AS2, makes our key and certificate (certs/ours.pem) when we have only the demo key,
    and prints what to send the partner: our certificate, our AS2 ID and our URL.
    """
    from b2b.partners.scaffold import TRANSPORTS, render_profile

    if transport not in TRANSPORTS:
        raise typer.BadParameter(f"allowed: {', '.join(TRANSPORTS)}", param_hint="--transport")
    settings = _settings()
    target = settings.resolve(settings.partners_dir) / f"{name}.toml"
    if target.exists():
        typer.echo(f"error: {target} exists; not overwritten", err=True)
        raise typer.Exit(2)
    given = {
        "name": title,
        "coupa.identities": [identity] if identity else None,
        "x12.envelope.sender_id": sender_id,
        "x12.envelope.receiver_id": receiver_id,
        "as2.as2_id": as2_id,
        "as2.certificates": [certificate] if certificate else None,
        "transport.url": url,
        "transport.host": host,
        "transport.username": username,
        "transport.path": path,
    }
    values = {k: v for k, v in given.items() if v is not None}
    text = render_profile(name, transport, values)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {target}: fill in every FILL-ME, then run `b2b partners check`")
    if transport == "as2":
        _our_as2_identity(settings)


def _our_as2_identity(settings: Settings) -> None:
    """Make our key when we have only the demo one; say what the partner needs from us."""
    from b2b.cli import certs_new
    from b2b.config import DEMO_AS2_KEY

    certs = settings.resolve(settings.certs_dir)
    keys = settings.as2_keys
    if keys == (DEMO_AS2_KEY,):
        if not (certs / OUR_KEY).exists():
            certs_new(OUR_KEY, common_name=None, days=730, passphrase=None)
        keys = (OUR_KEY,)
        typer.echo(
            f"(a list, as JSON: B2B_AS2_KEYS='[\"{OUR_KEY}\"]'; our keys are read when the "
            "gateway starts: restart it once that is set)"
        )
    public = certs / f"{Path(keys[0]).stem}-public.pem"
    typer.echo("send the partner:")
    typer.echo(f"  our certificate  {public if public.exists() else certs / keys[0]}")
    typer.echo(f"  our AS2 ID       {settings.as2_id}")
    typer.echo(f"  our AS2 URL      {settings.public_url.rstrip('/')}/as2")
