"""Who may use the admin API and dashboard: API keys, users, their sessions, and roles.

    >>> token = create_api_key(engine=engine, name="monitoring", role=Role.VIEWER, now=utcnow())
    >>> principal_for_token(engine=engine, token=token, now=utcnow())
    Principal(name='monitoring', role=<Role.VIEWER: 'viewer'>, kind='key')

Nothing secret is stored in clear. An API key (`b2b_<prefix>_<secret>`) and a session token
carry 256 random bits: their SHA-256 is stored, and a fast hash is enough, since nobody can
search a 2**256 space whatever the hash costs. A password is chosen by a person: it is stored
as scrypt with a salt of its own, the parameters kept with it (`scrypt$n$r$p$salt$hash`), so
they can be raised later without invalidating the passwords already stored.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, delete, insert, select, update

from b2b.errors import ConfigurationError
from b2b.store.db import as_utc, transaction, utc
from b2b.store.schema import api_keys, sessions, users


class Role(enum.StrEnum):
    """What an admin may do: a viewer reads; an operator also resends and changes things."""

    VIEWER = "viewer"
    OPERATOR = "operator"

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what `needed` may (an operator may do what a viewer may)."""
        return _RANK[self] >= _RANK[needed]


_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1}


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key, a logged-in user, or the bootstrap key of the settings."""

    name: str
    role: Role
    kind: Literal["key", "session", "bootstrap"]


@dataclass(frozen=True, slots=True)
class ApiKeyView:
    """An API key as `b2b keys list` shows it: never the token nor its hash."""

    name: str
    role: Role
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class UserView:
    """A user as `b2b users list` shows it: never the password hash."""

    name: str
    role: Role
    created_at: dt.datetime
    disabled_at: dt.datetime | None


KEY_PREFIX = "b2b"
MIN_PASSWORD = 8
#: last_used_at is written at most this often per key (a read-mostly lookup stays cheap).
LAST_USED_EVERY = dt.timedelta(minutes=1)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_KEY = re.compile(rf"{KEY_PREFIX}_([0-9a-f]{{8}})_[A-Za-z0-9_-]{{43}}")
# scrypt: 2**14 * 8 * 128 bytes = 16 MiB and some 50 ms per password checked.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_token(token: str) -> str:
    """The SHA-256 of a 256-bit random token, hex: what is stored and compared."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_key(*, engine: Engine, name: str, role: Role, now: dt.datetime) -> str:
    """A new API key named `name`: returns the token, which is shown once and never stored.

    ConfigurationError if the name is malformed or taken (a revoked key keeps its name).
    """
    _check_name(name)
    prefix = secrets.token_hex(4)
    token = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction(engine) as conn:
        if conn.execute(select(api_keys.c.id).where(api_keys.c.name == name)).first():
            raise ConfigurationError(f"api key {name!r} exists: choose another name")
        conn.execute(
            insert(api_keys).values(
                name=name,
                role=Role(role).value,
                prefix=prefix,
                token_hash=hash_token(token),
                created_at=now,
            )
        )
    return token


def list_api_keys(*, engine: Engine) -> list[ApiKeyView]:
    """Every API key, revoked ones too, by name."""
    k = api_keys.c
    with transaction(engine) as conn:
        rows = conn.execute(
            select(k.name, k.role, k.prefix, k.created_at, k.last_used_at, k.revoked_at).order_by(
                k.name
            )
        ).all()
    return [
        ApiKeyView(
            r.name,
            Role(r.role),
            r.prefix,
            utc(r.created_at),
            as_utc(r.last_used_at),
            as_utc(r.revoked_at),
        )
        for r in rows
    ]


def revoke_api_key(*, engine: Engine, name: str, now: dt.datetime) -> bool:
    """Refuse the key from now on; False if there is no key of that name."""
    k = api_keys.c
    with transaction(engine) as conn:
        found = conn.execute(select(k.revoked_at).where(k.name == name)).first()
        if found is None:
            return False
        if found.revoked_at is None:
            conn.execute(update(api_keys).where(k.name == name).values(revoked_at=now))
    return True


def add_user(*, engine: Engine, name: str, password: str, role: Role, now: dt.datetime) -> None:
    """A new user; ConfigurationError if the name is malformed or taken, or the password short."""
    _check_name(name)
    password_hash = hash_password(password)
    with transaction(engine) as conn:
        if conn.execute(select(users.c.name).where(users.c.name == name)).first():
            raise ConfigurationError(f"user {name!r} exists")
        conn.execute(
            insert(users).values(
                name=name, role=Role(role).value, password_hash=password_hash, created_at=now
            )
        )


def set_password(*, engine: Engine, name: str, password: str) -> bool:
    """A new password; the user's sessions end. False if there is no such user."""
    password_hash = hash_password(password)
    with transaction(engine) as conn:
        changed = conn.execute(
            update(users).where(users.c.name == name).values(password_hash=password_hash)
        ).rowcount
        conn.execute(delete(sessions).where(sessions.c.user_name == name))
    return bool(changed)


def remove_user(*, engine: Engine, name: str) -> bool:
    """Remove the user and end their sessions; False if there is no such user."""
    with transaction(engine) as conn:
        conn.execute(delete(sessions).where(sessions.c.user_name == name))
        return bool(conn.execute(delete(users).where(users.c.name == name)).rowcount)


def list_users(*, engine: Engine) -> list[UserView]:
    """Every user, by name."""
    u = users.c
    with transaction(engine) as conn:
        rows = conn.execute(
            select(u.name, u.role, u.created_at, u.disabled_at).order_by(u.name)
        ).all()
    return [UserView(r.name, Role(r.role), utc(r.created_at), as_utc(r.disabled_at)) for r in rows]


def verify_user(*, engine: Engine, name: str, password: str) -> Principal | None:
    """The user if `password` is theirs and they are not disabled, else None.

    An unknown name costs the same scrypt as a known one (checked against a dummy hash), so
    the time taken does not tell which names exist. Counting failures is the caller's job
    (b2b/api/auth.py, per name and client).
    """
    u = users.c
    with transaction(engine) as conn:
        row = conn.execute(
            select(u.role, u.password_hash, u.disabled_at).where(u.name == name)
        ).first()
    stored = row.password_hash if row is not None else _dummy_hash()
    matches = check_password(password, stored)
    if row is None or row.disabled_at is not None or not matches:
        return None
    return Principal(name, Role(row.role), "session")


def open_session(
    *, engine: Engine, principal: Principal, now: dt.datetime, ttl: dt.timedelta
) -> str:
    """A session for a verified user until now + ttl: returns its token (for the cookie).

    Expired sessions of every user are deleted on the way.
    """
    token = secrets.token_urlsafe(32)
    with transaction(engine) as conn:
        conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
        conn.execute(
            insert(sessions).values(
                token_hash=hash_token(token),
                user_name=principal.name,
                role=principal.role.value,
                created_at=now,
                expires_at=now + ttl,
            )
        )
    return token


def close_session(*, engine: Engine, token: str) -> None:
    """End the session of `token` (logging out); nothing happens for an unknown token."""
    with transaction(engine) as conn:
        conn.execute(delete(sessions).where(sessions.c.token_hash == hash_token(token)))


def principal_for_token(*, engine: Engine, token: str, now: dt.datetime) -> Principal | None:
    """Who `token` is: an unrevoked API key, or an unexpired session of an enabled user.

    An API key's last_used_at is written at most once a minute.
    """
    found = _KEY.fullmatch(token)
    if found is not None:
        return _key_principal(engine, found.group(1), token, now)
    return _session_principal(engine, token, now)


def _key_principal(engine: Engine, prefix: str, token: str, now: dt.datetime) -> Principal | None:
    k = api_keys.c
    with transaction(engine) as conn:
        row = conn.execute(
            select(k.id, k.name, k.role, k.token_hash, k.last_used_at).where(
                k.prefix == prefix, k.revoked_at.is_(None)
            )
        ).first()
        if row is None or not hmac.compare_digest(row.token_hash, hash_token(token)):
            return None
        last = as_utc(row.last_used_at)
        if last is None or now - last >= LAST_USED_EVERY:
            conn.execute(update(api_keys).where(k.id == row.id).values(last_used_at=now))
    return Principal(row.name, Role(row.role), "key")


def _session_principal(engine: Engine, token: str, now: dt.datetime) -> Principal | None:
    s, u = sessions.c, users.c
    with transaction(engine) as conn:
        row = conn.execute(
            select(s.user_name, s.role)
            .join(users, u.name == s.user_name)
            .where(s.token_hash == hash_token(token), s.expires_at > now, u.disabled_at.is_(None))
        ).first()
    return None if row is None else Principal(row.user_name, Role(row.role), "session")


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash` (base64) of a password of at least MIN_PASSWORD characters."""
    if len(password) < MIN_PASSWORD:
        raise ConfigurationError(f"password: at least {MIN_PASSWORD} characters")
    salt = secrets.token_bytes(16)
    derived = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(derived)}"


def check_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored` (a hash_password result), in constant time."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(derived, base64.b64decode(expected))
    except ValueError:
        return False


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * n * r * p, dklen=32
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ConfigurationError(
            f"name {name!r}: 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a"
            " letter or digit"
        )
