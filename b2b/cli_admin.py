"""`b2b keys` and `b2b users`: who may use the admin API and the dashboard.

$ b2b keys new monitoring --role viewer      # prints the token, once
$ b2b users add ada --role operator          # asks the password twice
$ echo "$PASSWORD" | b2b users add ci --role viewer --password-stdin

Exit 2 for a usage or configuration error (a name taken, a short password), 1 for a name
that is not found.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy import Engine

from b2b.errors import ConfigurationError
from b2b.store.auth import (
    Role,
    add_user,
    create_api_key,
    list_api_keys,
    list_users,
    remove_user,
    revoke_api_key,
    set_password,
)
from b2b.store.db import utcnow

keys_app = typer.Typer(
    help="API keys for the admin API (viewer or operator).", no_args_is_help=True
)
users_app = typer.Typer(help="Users of the dashboard (viewer or operator).", no_args_is_help=True)

RoleOption = Annotated[Role, typer.Option(help="viewer reads; operator also resends.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from stdin (scripts).")
]
T = TypeVar("T")


def _with_store(action: Callable[[Engine], T]) -> T:
    """`action` on the database of B2B_DATABASE_URL, disposed after; a ConfigurationError
    (a name taken, a short password) is printed and exits 2."""
    from b2b.cli import _engine

    engine: Engine = _engine()
    try:
        return action(engine)
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()


def _not_found(what: str) -> typer.Exit:
    typer.echo(f"error: no {what}", err=True)
    return typer.Exit(1)


def _when(value: object) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


@keys_app.command("new")
def keys_new(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. monitoring.")],
    role: RoleOption = Role.VIEWER,
) -> None:
    """Make an API key and print its token, once: it is stored only as a hash."""
    token = _with_store(
        lambda engine: create_api_key(engine=engine, name=name, role=role, now=utcnow())
    )
    typer.echo(token)
    typer.echo(
        f"api key {name!r} ({role}): send it as 'Authorization: Bearer <token>';"
        " it is not shown again",
        err=True,
    )


@keys_app.command("list")
def keys_list() -> None:
    """Name, role, prefix, created, last used and revoked of every key (never the token)."""
    typer.echo(
        f"{'name':<24} {'role':<9} {'prefix':<9} {'created':<19}  {'last used':<19}  revoked"
    )
    for key in _with_store(lambda engine: list_api_keys(engine=engine)):
        typer.echo(
            f"{key.name:<24} {key.role:<9} {key.prefix:<9} {_when(key.created_at):<19}  "
            f"{_when(key.last_used_at):<19}  {_when(key.revoked_at)}"
        )


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Refuse the key from now on (it stays listed). Exit 1 if there is no such key."""
    if not _with_store(lambda engine: revoke_api_key(engine=engine, name=name, now=utcnow())):
        raise _not_found(f"api key {name!r}")
    typer.echo(f"api key {name!r} revoked")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The login name.")],
    role: RoleOption = Role.VIEWER,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user; the password is asked twice (or read from stdin)."""
    password = _password(password_stdin)
    _with_store(
        lambda engine: add_user(
            engine=engine, name=name, password=password, role=role, now=utcnow()
        )
    )
    typer.echo(f"user {name!r} added ({role})")


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="The login name.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password; their sessions end. Exit 1 if there is no such user."""
    password = _password(password_stdin)
    if not _with_store(lambda engine: set_password(engine=engine, name=name, password=password)):
        raise _not_found(f"user {name!r}")
    typer.echo(f"password of {name!r} changed; their sessions ended")


@users_app.command("remove")
def users_remove(name: Annotated[str, typer.Argument(help="The login name.")]) -> None:
    """Remove a user and end their sessions. Exit 1 if there is no such user."""
    if not _with_store(lambda engine: remove_user(engine=engine, name=name)):
        raise _not_found(f"user {name!r}")
    typer.echo(f"user {name!r} removed")


@users_app.command("list")
def users_list() -> None:
    """Name, role, created and disabled of every user (never the password)."""
    typer.echo(f"{'name':<24} {'role':<9} {'created':<19}  disabled")
    for user in _with_store(lambda engine: list_users(engine=engine)):
        typer.echo(
            f"{user.name:<24} {user.role:<9} {_when(user.created_at):<19}  "
            f"{_when(user.disabled_at)}"
        )
