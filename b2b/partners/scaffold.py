"""`b2b partners new`: a commented profile, written from the schema itself.

Every field the schema knows for the chosen transport is in the file: the ones that need a
value are set (to what the operator gave, or to the placeholder FILL-ME, which
`b2b partners check` refuses, naming each one), the others are commented out with their
default, their allowed values and the schema's own comment. Since the template is made from
`b2b.partners.profile`, a field added there appears here without a change.

    >>> text = render_profile("acme2", "sftp", {"transport.host": "sftp.acme.example"})
    >>> missing_values(tomllib.loads(text))
    ['coupa.identities', 'x12.envelope.receiver_id', 'transport.username', ...]
"""

from __future__ import annotations

import enum
import functools
import inspect
import json
import re
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from b2b.partners.profile import (
    Acknowledgments,
    As2Partner,
    As2Transport,
    CoupaIdentity,
    Delivery,
    DirectoryTransport,
    Envelope,
    Retry,
    SftpTransport,
    X12Settings,
)
from b2b.partners.registry import PLACEHOLDER

TRANSPORTS: dict[str, type[BaseModel]] = {
    "as2": As2Transport,
    "sftp": SftpTransport,
    "directory": DirectoryTransport,
}
#: sections whose fields are all written, in this order (dotted path, model)
_SECTIONS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("coupa", CoupaIdentity),
    ("x12", X12Settings),
    ("x12.envelope", Envelope),
    ("x12.acknowledgments", Acknowledgments),
)
_TAIL: tuple[tuple[str, type[BaseModel]], ...] = (("retry", Retry), ("delivery", Delivery))
#: fields given a value even though the schema has a default or none is required
_SUGGESTED: dict[str, Any] = {
    "coupa.identities": [f"DUNS:{PLACEHOLDER}"],
    "x12.envelope.sender_id": PLACEHOLDER,
    "as2.certificates": [PLACEHOLDER],
    "transport.url": f"https://{PLACEHOLDER}/as2",
}
#: sections that are tables of their own and so are not written as fields of their parent
_SUBTABLES = frozenset({"envelope", "acknowledgments", "documents"})


def render_profile(partner_id: str, transport: str, values: Mapping[str, Any]) -> str:
    """The profile text for a new partner; `values` by dotted path ("transport.host": "...")."""
    if transport not in TRANSPORTS:
        raise ValueError(f"transport {transport!r}: allowed {', '.join(TRANSPORTS)}")
    given = {"name": PLACEHOLDER, **values, "transport.kind": transport}
    lines = [
        f"# Trading partner {partner_id}: made by `b2b partners new`. Fill in every {PLACEHOLDER},",
        "# uncomment what differs from the default, then run `b2b partners check`.",
        f"id = {_toml(partner_id)}",
        f"name = {_toml(given['name'])}",
    ]
    sections = [*_SECTIONS, ("transport", TRANSPORTS[transport])]
    if transport == "as2":
        sections.append(("as2", As2Partner))
    for path, model in [*sections, *_TAIL]:
        lines += ["", f"[{path}]", *_fields(path, model, given)]
    return "\n".join(lines) + "\n"


def _fields(path: str, model: type[BaseModel], given: Mapping[str, Any]) -> Iterator[str]:
    notes = attribute_comments(model)
    for name, info in model.model_fields.items():
        if name in _SUBTABLES:
            continue
        where = f"{path}.{name}"
        for note in notes.get(name, ()):
            yield f"# {note}"
        allowed = _allowed(info)
        if where in given or info.is_required() or where in _SUGGESTED:
            value = given.get(where, _SUGGESTED.get(where, PLACEHOLDER))
            suffix = f"  # allowed: {allowed}" if allowed else ""
            yield f"{name} = {_toml(value)}{suffix}"
        else:
            suffix = f"  (allowed: {allowed})" if allowed else ""
            yield f"# {name} = {_default(info)}{suffix}"


def _default(info: FieldInfo) -> str:
    default = info.get_default(call_default_factory=True)
    return "(unset)" if default is None else _toml(default)


def _allowed(info: FieldInfo) -> str:
    args = list(_flatten(info.annotation))
    if args and all(isinstance(a, str) for a in args):
        return ", ".join(json.dumps(a) for a in args)
    return ""


def _flatten(annotation: Any) -> Iterator[Any]:
    """The values of a Literal (inside Optional or Annotated); nothing for other types."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        yield from typing.get_args(annotation)
    elif origin in (typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            yield from _flatten(arg)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k} = {_toml(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return json.dumps(str(value))  # a TOML basic string is a JSON string


_FIELD = re.compile(r"^\s+(\w+)\s*:")
_TRAILING = re.compile(r"#\s*(?!:)(.+)$")


@functools.cache
def attribute_comments(model: type[BaseModel]) -> dict[str, tuple[str, ...]]:
    """The `#:` comments above each field (and a trailing `# ...`), from the schema's source;
    inherited fields take those of the class that declares them."""
    found: dict[str, tuple[str, ...]] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        pending: list[str] = []
        for line in inspect.getsource(cls).splitlines():
            stripped = line.strip()
            if stripped.startswith("#:"):
                pending.append(stripped[2:].strip())
                continue
            match = _FIELD.match(line)
            if match and match.group(1) in cls.model_fields:
                trailing = _TRAILING.search(line.partition(":")[2].split('"#')[0])
                notes = pending + ([trailing.group(1).strip()] if trailing else [])
                found[match.group(1)] = tuple(notes)
            pending = [] if not stripped.startswith("#") else pending
    return found
