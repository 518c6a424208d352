"""Partner profiles: the examples load, routing finds them, mistakes are named precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from b2b.documents import Credential
from b2b.errors import ConfigurationError, UnknownPartner
from b2b.partners import load_partners, load_profile
from tests.conftest import ROOT

EXAMPLES = ROOT / "partners"


def test_the_example_partners_route_by_cxml_identity_and_supplier_number() -> None:
    registry = load_partners(EXAMPLES)
    assert {p.id for p in registry} == {"acme", "demo-as2", "globex"}
    assert registry.route([Credential("DUNS", "777777777")]).id == "demo-as2"
    assert registry.route([Credential("DUNS", "123456789")]).id == "acme"
    assert registry.route([Credential("duns", "123456789")]).id == "acme"
    assert registry.route([Credential("supplier-number", "GLOBEX-7")]).id == "globex"
    assert registry.route([Credential("X", "1"), Credential("DUNS", "123456789")]).id == "acme"


def test_an_unknown_identity_is_named_in_the_refusal() -> None:
    with pytest.raises(UnknownPartner, match=r"DUNS:000000000"):
        load_partners(EXAMPLES).route([Credential("DUNS", "000000000")])


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "partners"
    folder.mkdir()
    text = (EXAMPLES / "acme.toml").read_text()
    assert old in text
    (folder / "acme.toml").write_text(text.replace(old, new, 1))
    return folder


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'version = "004010"',
            'version = "003050"',
            r"acme\.toml: x12\.version: .*'004010' or '005010'",
        ),
        (
            'usage_indicator = "T"',
            'usage_indicator = "X"',
            r"acme\.toml: x12\.envelope\.usage_indicator: .*'P' or 'T'",
        ),
        ('kind = "directory"', 'kind = "ftp"', r"acme\.toml: transport: .*'sftp', 'directory'"),
        (
            'sender_id = "B2BGATEWAY"',
            'sender_id = "B2BGATEWAY"\ncolour = "red"',
            r"acme\.toml: x12\.envelope\.colour: unknown field",
        ),
        ('id = "acme"', 'id = "acme2"', r"acme\.toml: id: 'acme2' must equal the file name"),
        ('CS = "CA"', 'CS = "CASE"', r"acme\.toml: x12\.uom: .*2 letters or digits"),
        (
            'receiver_id = "123456789"',
            'receiver_id = "1234567890123456"',
            r"acme\.toml: x12\.envelope\.receiver_id: .*at most 15",
        ),
    ],
)
def test_a_wrong_profile_names_file_field_and_allowed_values(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    with pytest.raises(ConfigurationError, match=expected):
        load_partners(_variant(tmp_path, old, new))


def test_two_partners_claiming_one_identity_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "partners"
    folder.mkdir()
    shutil.copy(EXAMPLES / "acme.toml", folder / "acme.toml")
    text = (EXAMPLES / "acme.toml").read_text().replace('id = "acme"', 'id = "acme-two"')
    (folder / "acme-two.toml").write_text(text)
    with pytest.raises(ConfigurationError, match=r"DUNS:123456789 routes to both"):
        load_partners(folder)


def test_two_partners_claiming_one_as2_id_are_refused(tmp_path: Path) -> None:
    """AS2-From names the partner whose document it is: two profiles cannot share one."""
    folder = tmp_path / "partners"
    folder.mkdir()
    shutil.copy(EXAMPLES / "demo-as2.toml", folder / "demo-as2.toml")
    text = (EXAMPLES / "demo-as2.toml").read_text().replace('id = "demo-as2"', 'id = "initech"')
    text = text.replace("DUNS:777777777", "DUNS:123123123")
    (folder / "initech.toml").write_text(text)
    with pytest.raises(ConfigurationError, match="AS2 ID 'B2B-DEMO-PARTNER' is used by both"):
        load_partners(folder)


def test_delimiters_must_be_distinct_and_not_spaces(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="four distinct"):
        load_profile(
            _variant(
                tmp_path, 'usage_indicator = "T"', 'usage_indicator = "T"\nelement_separator = "~"'
            )
            / "acme.toml"
        )


def test_the_documented_sftp_example_is_a_valid_profile(tmp_path: Path) -> None:
    copy = tmp_path / "initech.toml"
    shutil.copy(ROOT / "docs" / "sftp-partner.toml.example", copy)
    profile = load_profile(copy)
    assert profile.transport.kind == "sftp"
