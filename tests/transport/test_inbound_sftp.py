"""SFTP inbound polling against the real OpenSSH sshd: pinning, authentication, the connection.

The rules shared with the local folder (stability, pattern, record then remove) are tested for
both kinds in test_inbound.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from b2b.errors import ConfigurationError, HostKeyMismatch, PermanentTransportError, TransportError
from b2b.partners import SftpInbound
from b2b.transport import InboundFile, SftpPoller, open_poller
from tests.fixtures.ports import free_port
from tests.fixtures.sshd import PASSPHRASE, SshServer
from tests.transport.conftest import Store, inbound_sftp_settings

pytestmark = pytest.mark.sshd

FILENAME = "850_000000007.x12"


@pytest.fixture
def outbound(tmp_path: Path, interchange: bytes) -> Path:
    """The partner's folder on the server, holding one interchange."""
    folder = tmp_path.resolve() / "outbound"
    folder.mkdir()
    (folder / FILENAME).write_bytes(interchange)
    return folder


def poller_for(settings: SftpInbound, certs_dir: Path) -> SftpPoller:
    poller = open_poller(settings, certs_dir=certs_dir, data_dir=certs_dir)
    assert isinstance(poller, SftpPoller)
    return poller


@pytest.fixture
def poller(sshd: SshServer, outbound: Path) -> Iterator[SftpPoller]:
    opened = poller_for(inbound_sftp_settings(sshd, outbound), outbound.parent)
    yield opened
    opened.close()


def test_wrong_pinned_host_key_is_refused_before_logging_in(
    sshd: SshServer, outbound: Path, store: Store, tmp_path: Path
) -> None:
    stranger = sshd.stranger_key.with_suffix(".pub").read_text().split()
    settings = inbound_sftp_settings(sshd, outbound, host_key=f"{stranger[0]} {stranger[1]}")
    offset = sshd.log_size()

    with poller_for(settings, tmp_path) as poller, pytest.raises(HostKeyMismatch) as raised:
        poller.poll(store.record)

    assert "host key mismatch" in str(raised.value)
    assert "Accepted publickey" not in sshd.log_since(offset)
    assert store.calls == []
    assert [p.name for p in outbound.iterdir()] == [FILENAME]


def test_a_client_key_the_server_does_not_accept_is_permanent(
    sshd: SshServer, outbound: Path, store: Store
) -> None:
    settings = inbound_sftp_settings(sshd, outbound, private_key=sshd.stranger_key.name)

    with (
        poller_for(settings, sshd.stranger_key.parent) as poller,
        pytest.raises(PermanentTransportError) as raised,
    ):
        poller.poll(store.record)

    assert type(raised.value) is PermanentTransportError


def test_a_server_that_does_not_answer_is_retryable(
    sshd: SshServer, outbound: Path, store: Store, tmp_path: Path
) -> None:
    settings = inbound_sftp_settings(sshd, outbound, port=free_port())

    with poller_for(settings, tmp_path) as poller, pytest.raises(TransportError) as raised:
        poller.poll(store.record)

    assert type(raised.value) is TransportError
    assert raised.value.retryable is True


def test_the_missing_remote_folder_is_named(sshd: SshServer, store: Store, tmp_path: Path) -> None:
    settings = inbound_sftp_settings(sshd, tmp_path / "outbound")

    with (
        poller_for(settings, tmp_path) as poller,
        pytest.raises(PermanentTransportError, match=r"remote_dir '.*/outbound' does not exist"),
    ):
        poller.poll(store.record)


def test_one_connection_serves_every_poll(
    sshd: SshServer, poller: SftpPoller, store: Store, outbound: Path, interchange: bytes
) -> None:
    offset = sshd.log_size()

    poller.poll(store.record)
    poller.poll(store.record)
    (outbound / "850_000000008.x12").write_bytes(interchange)
    poller.poll(store.record)
    taken = poller.poll(store.record).taken

    assert taken == (str(outbound / "850_000000008.x12"),)
    assert sshd.log_since(offset).count("Accepted publickey") == 1


def test_a_connection_dropped_while_recording_is_reopened_to_remove_the_file(
    sshd: SshServer, poller: SftpPoller, store: Store, outbound: Path
) -> None:
    store.after = lambda item: sshd.drop_connections()
    poller.poll(store.record)
    offset = sshd.log_size()

    report = poller.poll(store.record)

    assert report.taken == (str(outbound / FILENAME),)
    assert report.errors == ()
    assert list(outbound.iterdir()) == []
    assert sshd.log_since(offset).count("Accepted publickey") == 1


def test_the_archive_move_is_a_rename_that_cannot_overwrite(
    sshd: SshServer, store: Store, outbound: Path, tmp_path: Path
) -> None:
    (outbound / "done").mkdir()
    settings = inbound_sftp_settings(sshd, outbound, after="move", archive_dir="done")
    offset = sshd.log_size()

    with poller_for(settings, tmp_path) as poller:
        poller.poll(store.record)
        poller.poll(store.record)

    log = sshd.log_since(offset)
    assert f'rename old "{outbound / FILENAME}" new "{outbound / "done" / FILENAME}"' in log
    assert "posix-rename" not in log
    assert [p.name for p in (outbound / "done").iterdir()] == [FILENAME]


def test_an_encrypted_key_opens_with_the_passphrase_file_the_profile_names(
    sshd: SshServer, store: Store, outbound: Path, tmp_path: Path
) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "acme.passphrase").write_text(PASSPHRASE + "\n")
    settings = inbound_sftp_settings(
        sshd,
        outbound,
        private_key=str(sshd.encrypted_key),
        private_key_passphrase_file="acme.passphrase",
    )

    with poller_for(settings, certs) as poller:
        poller.poll(store.record)
        assert poller.poll(store.record).taken == (str(outbound / FILENAME),)

    missing = settings.model_copy(update={"private_key_passphrase_file": "nope"})
    with pytest.raises(ConfigurationError, match=r"inbound\.private_key_passphrase_file"):
        open_poller(missing, certs_dir=certs, data_dir=tmp_path)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"private_key": "no-such-key"}, "private_key"),
        ({"host_key": "ssh-ed25519 not-base64!"}, "host_key"),
    ],
)
def test_unusable_keys_are_configuration_errors_naming_the_inbound_field(
    sshd: SshServer, tmp_path: Path, overrides: dict[str, object], field: str
) -> None:
    settings = inbound_sftp_settings(sshd, tmp_path, **overrides)

    with pytest.raises(ConfigurationError, match=rf"^inbound\.{field}: "):
        open_poller(settings, certs_dir=tmp_path, data_dir=tmp_path)


def test_a_retryable_failure_stops_the_poll_and_the_rest_wait(
    sshd: SshServer, poller: SftpPoller, store: Store, outbound: Path, interchange: bytes
) -> None:
    names = ["850_000000001.x12", "850_000000002.x12", "850_000000003.x12"]
    for name in names:
        (outbound / name).write_bytes(interchange)
    paths = [str(outbound / name) for name in names]

    def partner_swaps_first_for_a_folder(item: InboundFile) -> None:
        if item.path == paths[0]:
            (outbound / names[0]).unlink()
            (outbound / names[0]).mkdir()  # removing it fails with SFTP status 4, "Failure"

    store.after = partner_swaps_first_for_a_folder
    poller.poll(store.record)

    report = poller.poll(store.record)

    assert report.taken == (paths[0],)
    assert report.errors[0].startswith(f"{paths[0]}: recorded, not removed")
    assert "Failure" in report.errors[0]
    assert report.errors[1].startswith("poll stopped")
    assert report.waiting == (*paths[1:], str(outbound / FILENAME))
    assert [item.path for item in store.calls] == [paths[0]]

    store.after = lambda item: None
    assert poller.poll(store.record).taken == (*paths[1:], str(outbound / FILENAME))
