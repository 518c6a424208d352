"""API keys, users and sessions in the store: who a token is, what is refused, nothing secret
kept in clear, and a database made before them (revision 0001) gaining their tables."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, text

from b2b.errors import ConfigurationError
from b2b.store import migrations, open_engine, transaction, utcnow
from b2b.store.auth import (
    Principal,
    Role,
    add_user,
    check_password,
    close_session,
    create_api_key,
    hash_password,
    list_api_keys,
    list_users,
    open_session,
    principal_for_token,
    remove_user,
    revoke_api_key,
    set_password,
    verify_user,
)
from b2b.store.schema import api_keys, sessions, users

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
PASSWORD = "correct horse battery"


def test_an_api_key_is_its_name_and_role_until_revoked(engine: Engine) -> None:
    token = create_api_key(engine=engine, name="monitoring", role=Role.VIEWER, now=NOW)
    assert token.startswith("b2b_")
    found = principal_for_token(engine=engine, token=token, now=NOW)
    assert found == Principal("monitoring", Role.VIEWER, "key")
    assert revoke_api_key(engine=engine, name="monitoring", now=NOW)
    assert principal_for_token(engine=engine, token=token, now=NOW) is None
    assert not revoke_api_key(engine=engine, name="nobody", now=NOW)
    [listed] = list_api_keys(engine=engine)
    assert listed.revoked_at == NOW


def test_a_token_with_a_real_prefix_but_another_secret_is_refused(engine: Engine) -> None:
    token = create_api_key(engine=engine, name="ops", role=Role.OPERATOR, now=NOW)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert principal_for_token(engine=engine, token=forged, now=NOW) is None
    assert principal_for_token(engine=engine, token="b2b_", now=NOW) is None
    assert principal_for_token(engine=engine, token="", now=NOW) is None


def test_last_used_is_written_at_most_once_a_minute(engine: Engine) -> None:
    token = create_api_key(engine=engine, name="ops", role=Role.OPERATOR, now=NOW)
    assert list_api_keys(engine=engine)[0].last_used_at is None
    for seconds in (0, 30, 59):
        principal_for_token(engine=engine, token=token, now=NOW + dt.timedelta(seconds=seconds))
    assert list_api_keys(engine=engine)[0].last_used_at == NOW
    principal_for_token(engine=engine, token=token, now=NOW + dt.timedelta(seconds=61))
    assert list_api_keys(engine=engine)[0].last_used_at == NOW + dt.timedelta(seconds=61)


def test_names_are_unique_and_well_formed(engine: Engine) -> None:
    create_api_key(engine=engine, name="ops", role=Role.OPERATOR, now=NOW)
    with pytest.raises(ConfigurationError, match="exists"):
        create_api_key(engine=engine, name="ops", role=Role.VIEWER, now=NOW)
    with pytest.raises(ConfigurationError, match="letters, digits"):
        create_api_key(engine=engine, name="two words", role=Role.VIEWER, now=NOW)
    add_user(engine=engine, name="ada", password=PASSWORD, role=Role.VIEWER, now=NOW)
    with pytest.raises(ConfigurationError, match="exists"):
        add_user(engine=engine, name="ada", password=PASSWORD, role=Role.VIEWER, now=NOW)
    with pytest.raises(ConfigurationError, match="at least 8"):
        add_user(engine=engine, name="bob", password="short", role=Role.VIEWER, now=NOW)


def test_a_user_is_verified_by_password_only(engine: Engine) -> None:
    add_user(engine=engine, name="ada", password=PASSWORD, role=Role.OPERATOR, now=NOW)
    assert verify_user(engine=engine, name="ada", password=PASSWORD) == Principal(
        "ada", Role.OPERATOR, "session"
    )
    assert verify_user(engine=engine, name="ada", password=PASSWORD + "!") is None
    assert verify_user(engine=engine, name="nobody", password=PASSWORD) is None
    [listed] = list_users(engine=engine)
    assert (listed.name, listed.role, listed.disabled_at) == ("ada", Role.OPERATOR, None)


def test_a_session_lasts_its_ttl_and_ends_when_closed(engine: Engine) -> None:
    add_user(engine=engine, name="ada", password=PASSWORD, role=Role.VIEWER, now=NOW)
    ada = Principal("ada", Role.VIEWER, "session")
    token = open_session(engine=engine, principal=ada, now=NOW, ttl=HOUR)
    assert principal_for_token(engine=engine, token=token, now=NOW + HOUR / 2) == ada
    assert principal_for_token(engine=engine, token=token, now=NOW + HOUR) is None
    close_session(engine=engine, token=token)
    assert principal_for_token(engine=engine, token=token, now=NOW) is None


def test_a_new_password_or_removal_ends_the_users_sessions(engine: Engine) -> None:
    add_user(engine=engine, name="ada", password=PASSWORD, role=Role.VIEWER, now=NOW)
    ada = Principal("ada", Role.VIEWER, "session")
    token = open_session(engine=engine, principal=ada, now=NOW, ttl=HOUR)
    assert set_password(engine=engine, name="ada", password="another passphrase")
    assert principal_for_token(engine=engine, token=token, now=NOW) is None
    assert verify_user(engine=engine, name="ada", password=PASSWORD) is None
    assert verify_user(engine=engine, name="ada", password="another passphrase") == ada
    token = open_session(engine=engine, principal=ada, now=NOW, ttl=HOUR)
    assert remove_user(engine=engine, name="ada")
    assert principal_for_token(engine=engine, token=token, now=NOW) is None
    assert not remove_user(engine=engine, name="ada")
    assert not set_password(engine=engine, name="ada", password=PASSWORD)


def test_no_token_or_password_is_stored_in_clear(engine: Engine) -> None:
    key = create_api_key(engine=engine, name="ops", role=Role.OPERATOR, now=NOW)
    add_user(engine=engine, name="ada", password=PASSWORD, role=Role.VIEWER, now=NOW)
    session = open_session(
        engine=engine, principal=Principal("ada", Role.VIEWER, "session"), now=NOW, ttl=HOUR
    )
    with transaction(engine) as conn:
        stored = " ".join(
            str(value)
            for table in (api_keys, users, sessions)
            for row in conn.execute(select(table))
            for value in row
        )
    secret_part = key.split("_", 2)[2]
    for secret in (key, secret_part[:16], PASSWORD, session, session[:16]):
        assert secret not in stored
    assert "scrypt$" in stored


def test_a_password_hash_carries_its_parameters_and_a_salt_of_its_own() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second
    assert first.split("$")[:4] == ["scrypt", "16384", "8", "1"]
    assert check_password(PASSWORD, first)
    assert not check_password(PASSWORD, "scrypt$16384$8$1$not-base64$")
    assert not check_password(PASSWORD, "bcrypt$whatever")


def test_an_operator_may_do_what_a_viewer_may() -> None:
    assert Role.OPERATOR.allows(Role.VIEWER)
    assert Role.OPERATOR.allows(Role.OPERATOR)
    assert not Role.VIEWER.allows(Role.OPERATOR)


def test_a_database_at_revision_0001_gains_the_tables_and_keeps_its_data(
    database_url: str,
) -> None:
    old = open_engine(database_url, create=False)
    with transaction(old) as conn:
        command.upgrade(migrations.config(connection=conn), "0001")
        conn.execute(
            text("INSERT INTO control_numbers (sender, receiver, last) VALUES ('a', 'b', 7)")
        )
    assert "api_keys" not in inspect(old).get_table_names()
    old.dispose()
    engine = open_engine(database_url)
    try:
        with transaction(engine) as conn:
            assert migrations.current(conn) == migrations.head()
            assert conn.execute(text("SELECT last FROM control_numbers")).scalar() == 7
        token = create_api_key(engine=engine, name="ops", role=Role.OPERATOR, now=utcnow())
        assert principal_for_token(engine=engine, token=token, now=utcnow()) is not None
    finally:
        engine.dispose()
