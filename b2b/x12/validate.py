"""Segment and element validation of transaction sets: the AK3/AK4 (997) or IK3/IK4 (999) detail.

The definitions live in maps/x12 (see maps/x12/850.toml for the layout) and are compiled once
into loop trees with a tag index per loop. `validate` walks the body segments through that tree:
a segment found further on in the current loop moves forward (reporting mandatory segments
skipped, code 3); the loop's first segment starts a new iteration (over the repeat: code 4); a
segment the current loop does not hold closes it and is looked for in the enclosing loop. A
segment found nowhere ahead is out of sequence (7) if the set holds it, unexpected (2) if it is
a segment of another set, unrecognized (1) otherwise; it is then skipped. A segment in place is
counted against its maximum use (5) and its elements are checked (8, with ElementErrors).

    >>> schemas = SetSchemas.load(Path("maps/x12"))
    >>> schemas.supports("850", "004010VICS")
    True
    >>> schemas.validate(transaction, "004010")
    (SegmentError(segment_id='BEG', position=2, loop_id='', code='8', elements=(...)),)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from b2b.x12._schema import CompiledSet, Loop, SegmentUse
from b2b.x12._schema_elements import Options, check_elements
from b2b.x12._schema_load import load_sets
from b2b.x12.model import Delimiters, ReadTransaction, Segment
from b2b.x12.results import SegmentError

_FIRST_BODY_POSITION = 2  # ST is position 1


class SetSchemas:
    """The compiled set definitions of a maps/x12 folder, by (ST01, version).

    >>> SetSchemas.load(Path("maps/x12")).supports("999", "005010X231A1")
    True
    """

    def __init__(self, sets: dict[tuple[str, str], CompiledSet]) -> None:
        self._sets = dict(sets)
        self._known = frozenset(tag for s in sets.values() for tag in s.tags)

    @classmethod
    def load(cls, folder: Path) -> SetSchemas:
        """Read and compile every definition in `folder`; a bad file raises ConfigurationError.

        >>> SetSchemas.load(Path("maps/x12")).sets
        (('810', '004010'), ('810', '005010'), ('850', '004010'), ...)
        """
        return cls(load_sets(folder))

    @property
    def sets(self) -> tuple[tuple[str, str], ...]:
        """The (ST01, version) pairs defined, sorted."""
        return tuple(sorted(self._sets))

    def supports(self, set_id: str, version: str) -> bool:
        """True when `set_id` is defined for GS08 `version` (compared on its first 6 characters)."""
        return (set_id, version[:6]) in self._sets

    def validate(
        self, transaction: ReadTransaction, version: str, *, delimiters: Delimiters | None = None
    ) -> tuple[SegmentError, ...]:
        """The AK3/IK3 errors of `transaction` (with their AK4/IK4), in position order.

        `delimiters` (the interchange's) lets 005010 repeating elements be split and composite
        values be shown as written; without it repetitions are not checked.

            >>> schemas.validate(transaction, "005010X231A1")
            ()
        """
        compiled = self._sets.get((transaction.set_id, version[:6]))
        if compiled is None:
            raise KeyError(f"no definition of {transaction.set_id} for version {version}")
        options = Options(
            v5010=version[:6] >= "005010",
            component=delimiters.component if delimiters else ":",
            repetition=delimiters.repetition if delimiters else "",
        )
        walk = _Walk(compiled, self._known, options)
        for number, segment in enumerate(transaction.segments):
            walk.feed(segment, number + _FIRST_BODY_POSITION)
        walk.finish(len(transaction.segments) + _FIRST_BODY_POSITION)
        return tuple(sorted(walk.errors, key=lambda e: e.position))


@dataclass(slots=True)
class _Frame:
    """One open loop iteration: where in the loop the walk is and what each child has used."""

    loop: Loop
    index: int
    uses: list[int] = field(default_factory=list)

    @classmethod
    def open(cls, loop: Loop, index: int) -> _Frame:
        frame = cls(loop, index, [0] * len(loop.children))
        if index >= 0:
            frame.uses[index] = 1
        return frame


class _Walk:
    """The state of one transaction set's validation."""

    def __init__(self, compiled: CompiledSet, known: frozenset[str], options: Options) -> None:
        self.compiled = compiled
        self.known = known
        self.options = options
        self.stack = [_Frame.open(compiled.root, -1)]
        self.errors: list[SegmentError] = []

    def feed(self, segment: Segment, position: int) -> None:
        """Place `segment` (at `position`, ST = 1) and check it."""
        tag = segment.tag
        for depth in range(len(self.stack) - 1, -1, -1):
            frame = self.stack[depth]
            ahead = _ahead(frame, tag)
            if ahead is not None:
                self._close_above(depth, position)
                self._advance(frame, ahead, segment, position)
                return
            if depth > 0 and tag == frame.loop.trigger:
                self._close_above(depth, position)
                self._repeat_loop(segment, position)
                return
        code = "7" if tag in self.compiled.tags else "2" if tag in self.known else "1"
        self._error(tag, position, self.stack[-1].loop.loop_id, code)

    def finish(self, position: int) -> None:
        """Report what is still missing when SE (at `position`) arrives."""
        self._close_above(-1, position)

    def _error(self, tag: str, position: int, loop_id: str, code: str) -> None:
        self.errors.append(SegmentError(tag, position, loop_id, code))

    def _close_above(self, depth: int, position: int) -> None:
        """Close the frames deeper than `depth`, reporting their missing mandatory children."""
        while len(self.stack) - 1 > depth:
            frame = self.stack.pop()
            self._missing(frame, frame.index, len(frame.loop.children), position)

    def _missing(self, frame: _Frame, start: int, end: int, position: int) -> None:
        for number in range(max(start, 0), end):
            child = frame.loop.children[number]
            if frame.uses[number] == 0 and child.mandatory:
                if isinstance(child, Loop):
                    self._error(child.trigger, position, child.loop_id, "3")
                else:
                    self._error(child.tag, position, frame.loop.loop_id, "3")

    def _advance(self, frame: _Frame, number: int, segment: Segment, position: int) -> None:
        self._missing(frame, frame.index, number, position)
        frame.index = number
        frame.uses[number] += 1
        child = frame.loop.children[number]
        if isinstance(child, Loop):
            if frame.uses[number] > child.repeat:
                self._error(segment.tag, position, child.loop_id, "4")
            self.stack.append(_Frame.open(child, 0))
            self._check(child.children[0], segment, position, child.loop_id, first=True)
        else:
            self._check(child, segment, position, frame.loop.loop_id, first=False)

    def _repeat_loop(self, segment: Segment, position: int) -> None:
        """The top loop's first segment again: close this iteration, count a new one."""
        frame = self.stack.pop()
        self._missing(frame, frame.index, len(frame.loop.children), position)
        parent = self.stack[-1]
        self._advance(parent, parent.index, segment, position)

    def _check(
        self, use: SegmentUse | Loop, segment: Segment, position: int, loop_id: str, *, first: bool
    ) -> None:
        if isinstance(use, Loop):  # a loop that starts with a loop: check its first segment
            self._check(use.children[0], segment, position, loop_id, first=first)
            return
        uses = 1 if first else self.stack[-1].uses[self.stack[-1].index]
        if uses > use.max_use:
            self._error(segment.tag, position, loop_id, "5")
        elif use.definition is not None:
            elements = check_elements(use.definition, segment, self.options)
            if elements:
                self.errors.append(SegmentError(segment.tag, position, loop_id, "8", elements))


def _ahead(frame: _Frame, tag: str) -> int | None:
    """The first child at or after the frame's index that `tag` can be (None if none).

    The child at the index itself only counts for a segment (a repeat); a loop there is
    re-entered through its own frame's trigger.
    """
    for number in frame.loop.places.get(tag, ()):
        if number == 0 and frame.loop.loop_id:
            continue  # a loop's first segment starts a new iteration instead
        if number > frame.index:
            return number
        if number == frame.index and isinstance(frame.loop.children[number], SegmentUse):
            return number
    return None
