"""Check one segment's elements against its definition: the AK4/IK4 (723) detail.

>>> check_elements(BEG, Segment("BEG", ("ZZ", "SA", "1", "", "20240101")), options)
(ElementError(position=1, component=None, reference='353', code='7', value='ZZ'),)
"""

from __future__ import annotations

from dataclasses import dataclass

from b2b.x12._schema import CompositeDef, ElementDef, SegmentDef, SimpleSlot, SyntaxNote
from b2b.x12.model import Element, Segment
from b2b.x12.results import ElementError

_JOIN = "\x1f"  # rejoins components split by the reader, to split repetitions first


@dataclass(frozen=True, slots=True)
class Options:
    """What the checks need beyond the definition: the version's codes and the delimiters."""

    v5010: bool  # 005010 codes 12 (too many repetitions) and 13 (too many components)
    component: str  # to show a composite's bad value as written
    repetition: str  # "" when unknown: repetitions are then not split


def check_elements(
    definition: SegmentDef, segment: Segment, options: Options
) -> tuple[ElementError, ...]:
    """Every element error of `segment`, in position order; () when it is valid."""
    slots = definition.slots
    errors: list[ElementError] = []
    present: set[int] = set()
    for position, value in enumerate(segment.elements, 1):
        if position > len(slots):
            if _filled(value):
                errors.append(ElementError(position, None, "", "3", _shown(value, options)))
                break
            continue
        slot = slots[position - 1]
        if _filled(value):
            present.add(position)
            errors.extend(_check_slot(slot, value, options))
    for position in range(1, len(slots) + 1):
        slot = slots[position - 1]
        if position not in present and _mandatory(slot):
            errors.append(ElementError(position, None, _reference(slot), "1"))
    errors.extend(_syntax(definition.syntax, present, slots, None))
    return tuple(sorted(_first_per_place(errors), key=_place))


def _filled(value: Element) -> bool:
    return any(value) if isinstance(value, tuple) else bool(value)


def _shown(value: Element, options: Options) -> str:
    return options.component.join(value) if isinstance(value, tuple) else value


def _mandatory(slot: SimpleSlot | CompositeDef) -> bool:
    return slot.element.mandatory if isinstance(slot, SimpleSlot) else slot.mandatory


def _reference(slot: SimpleSlot | CompositeDef) -> str:
    return slot.element.reference if isinstance(slot, SimpleSlot) else ""


def _place(error: ElementError) -> tuple[int, int]:
    return error.position, error.component or 0


def _first_per_place(errors: list[ElementError]) -> list[ElementError]:
    seen: dict[tuple[int, int], ElementError] = {}
    for error in errors:
        seen.setdefault(_place(error), error)
    return list(seen.values())


def _repetitions(
    slot: SimpleSlot | CompositeDef, value: Element, options: Options
) -> list[Element]:
    if slot.repeat == 1 or not options.repetition:
        return [value]
    text = _JOIN.join(value) if isinstance(value, tuple) else value
    if options.repetition not in text:
        return [value]
    return [tuple(r.split(_JOIN)) if _JOIN in r else r for r in text.split(options.repetition)]


def _check_slot(
    slot: SimpleSlot | CompositeDef, value: Element, options: Options
) -> list[ElementError]:
    position = slot.position if isinstance(slot, CompositeDef) else slot.element.position
    repeats = _repetitions(slot, value, options)
    if len(repeats) > slot.repeat:
        return [ElementError(position, None, _reference(slot), "12", _shown(value, options))]
    errors: list[ElementError] = []
    for repeat in repeats:
        if isinstance(slot, CompositeDef):
            errors.extend(_check_composite(slot, repeat, options))
        else:
            errors.extend(_check_simple(slot.element, repeat, options))
    return errors


def _check_simple(element: ElementDef, value: Element, options: Options) -> list[ElementError]:
    position, reference = element.position, element.reference
    if isinstance(value, tuple):
        too_many = "13" if options.v5010 else "6"
        return [ElementError(position, None, reference, too_many, _shown(value, options))]
    code = element.check(value)
    return [] if code is None else [ElementError(position, None, reference, code, value)]


def _check_composite(
    composite: CompositeDef, value: Element, options: Options
) -> list[ElementError]:
    parts = value if isinstance(value, tuple) else (value,)
    position, components = composite.position, composite.components
    if len(parts) > len(components) and any(parts[len(components) :]):
        too_many = "13" if options.v5010 else "3"
        extra = len(components) + 1
        return [ElementError(position, extra, "", too_many, _shown(value, options))]
    errors: list[ElementError] = []
    present: set[int] = set()
    for number, component in enumerate(components, 1):
        text = parts[number - 1] if number <= len(parts) else ""
        if text:
            present.add(number)
            found = component.check(text)
            if found is not None:
                errors.append(ElementError(position, number, component.reference, found, text))
        elif component.mandatory:
            errors.append(ElementError(position, number, component.reference, "1"))
    errors.extend(_syntax(composite.syntax, present, components, position))
    return errors


def _syntax(
    notes: tuple[SyntaxNote, ...],
    present: set[int],
    slots: tuple[SimpleSlot | CompositeDef, ...] | tuple[ElementDef, ...],
    composite_position: int | None,
) -> list[ElementError]:
    errors = []
    for note in notes:
        for number, code in _violations(note, present):
            slot = slots[number - 1]
            reference = slot.reference if isinstance(slot, ElementDef) else _reference(slot)
            if composite_position is None:
                errors.append(ElementError(number, None, reference, code))
            else:
                errors.append(ElementError(composite_position, number, reference, code))
    return errors


def _violations(note: SyntaxNote, present: set[int]) -> list[tuple[int, str]]:
    """(position, 723 code) for each element the note finds at fault."""
    first, *rest = note.positions
    given = [p for p in note.positions if p in present]
    missing = [p for p in note.positions if p not in present]
    if note.kind == "P" and given and missing:
        return [(p, "2") for p in missing]
    if note.kind == "R" and not given:
        return [(first, "2")]
    if note.kind == "C" and first in present:
        return [(p, "2") for p in rest if p not in present]
    if note.kind == "L" and first in present and not any(p in present for p in rest):
        return [(rest[0], "2")]
    if note.kind == "E" and len(given) > 1:
        return [(p, "10") for p in given[1:]]
    return []
