"""Small-cell suppression: publish counts so that nobody can be singled out.

A count between 1 and ``threshold - 1`` (default 5) is hidden (*primary* suppression): a
sub-municipality where two status holders went to the theatre must not tell who they are. Hiding
it is not enough when the table also publishes totals: the municipality's figure minus the other
sub-municipalities gives the hidden one back. So every additive relation that is published is
declared as a :class:`Group` (a total and the parts that add up to it), and more cells are hidden
(*secondary* suppression) until no hidden cell can be worked out from what is published:

1. in every group, the hidden members (total and parts) are none or at least two; when exactly
   one is hidden, the smallest published part that is not zero is hidden too (the total when no
   part is left); this repeats until nothing changes;
2. then an exact check: the groups are a system of linear equations in the hidden cells; a hidden
   cell that the system determines (as with three pairwise sums of three cells) gets a partner
   hidden in one of its groups, and both steps run again.

Zero is published: "nobody" singles nobody out. What suppression cannot prevent, and the docs
say so, is differencing between two reports over overlapping periods or populations.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

DEFAULT_THRESHOLD = 5
_PRIME = (1 << 61) - 1
"""Elimination runs modulo a large prime: exact integers without fractions growing, and with
coefficients 0 and ±1 a rank that differs from the rational rank is practically impossible."""


@dataclass(frozen=True, slots=True)
class Group(Generic[K]):
    """``total`` equals the sum of ``parts``: a relation a reader can use to subtract."""

    total: K
    parts: tuple[K, ...]


def suppress(
    values: Mapping[K, int],
    groups: Sequence[Group[K]] = (),
    *,
    threshold: int = DEFAULT_THRESHOLD,
) -> dict[K, int | None]:
    """The same cells, ``None`` where hidden. Raises ``ValueError`` if a group refers to a cell
    that is not there or its parts do not add up to its total (a wrong group protects nothing)."""
    _check(values, groups)
    hidden = {key for key, value in values.items() if 0 < value < threshold}
    if hidden:
        while True:
            _complete_groups(values, groups, hidden)
            determined = _determined(hidden, groups)
            if not any(_hide_partner(k, values, groups, hidden) for k in determined):
                break
    return {key: None if key in hidden else value for key, value in values.items()}


def _check(values: Mapping[K, int], groups: Sequence[Group[K]]) -> None:
    for value in values.values():
        if value < 0:
            raise ValueError("counts are never negative")
    for group in groups:
        for key in (group.total, *group.parts):
            if key not in values:
                raise ValueError(f"group refers to an unknown cell {key!r}")
        if len(set(group.parts)) != len(group.parts) or group.total in group.parts:
            raise ValueError(f"group of {group.total!r} names a cell twice")
        if sum(values[p] for p in group.parts) != values[group.total]:
            raise ValueError(f"the parts of {group.total!r} do not add up to it")


def _order(key: Hashable) -> str:
    return repr(key)


def _complete_groups(values: Mapping[K, int], groups: Sequence[Group[K]], hidden: set[K]) -> None:
    """Step 1: no group may have exactly one hidden member."""
    changed = True
    while changed:
        changed = False
        for group in groups:
            members = (group.total, *group.parts)
            if sum(1 for m in members if m in hidden) == 1:
                hidden.add(_partner(group, values, hidden))
                changed = True


def _partner(group: Group[K], values: Mapping[K, int], hidden: set[K]) -> K:
    """The published part that costs least to hide: the smallest that is not zero (hiding a
    zero protects little once a reader guesses it), else the smallest, else the total."""
    candidates = [p for p in group.parts if p not in hidden]
    if candidates:
        return min(candidates, key=lambda p: (values[p] == 0, values[p], _order(p)))
    return group.total


def _determined(hidden: set[K], groups: Sequence[Group[K]]) -> list[K]:
    """Hidden cells whose value the published cells and the groups pin down exactly."""
    unknowns = sorted(hidden, key=_order)
    index = {key: i for i, key in enumerate(unknowns)}
    rows: list[dict[int, int]] = []
    for group in groups:
        row: dict[int, int] = {}
        for part in group.parts:
            if part in index:
                row[index[part]] = row.get(index[part], 0) + 1
        if group.total in index:
            row[index[group.total]] = row.get(index[group.total], 0) - 1
        row = {col: c % _PRIME for col, c in row.items() if c % _PRIME}
        if row:
            rows.append(row)
    reduced = _reduced_row_echelon(rows)
    return [unknowns[next(iter(row))] for row in reduced if len(row) == 1]


def _reduced_row_echelon(rows: list[dict[int, int]]) -> list[dict[int, int]]:
    """Sparse Gauss-Jordan elimination over GF(p); returns the non-zero rows."""
    pivots: dict[int, dict[int, int]] = {}
    for row in rows:
        row = dict(row)
        for col, pivot_row in pivots.items():
            factor = row.get(col)
            if factor:
                _subtract(row, pivot_row, factor)
        if not row:
            continue
        col = min(row)
        inverse = pow(row[col], _PRIME - 2, _PRIME)
        row = {c: v * inverse % _PRIME for c, v in row.items()}
        for other in pivots.values():
            factor = other.get(col)
            if factor:
                _subtract(other, row, factor)
        pivots[col] = row
    return list(pivots.values())


def _subtract(row: dict[int, int], pivot_row: dict[int, int], factor: int) -> None:
    for col, value in pivot_row.items():
        new = (row.get(col, 0) - factor * value) % _PRIME
        if new:
            row[col] = new
        else:
            row.pop(col, None)


def _hide_partner(
    key: K, values: Mapping[K, int], groups: Sequence[Group[K]], hidden: set[K]
) -> bool:
    """Step 2: hide one more cell next to a determined one, in the group where that is cheapest.
    False when every cell beside it is hidden already: then the equations pinning it hold hidden
    cells only, and the value they pin is zero, which singles nobody out."""
    options: list[K] = []
    for group in groups:
        members = (group.total, *group.parts)
        if key not in members:
            continue
        candidates = [p for p in group.parts if p not in hidden]
        if candidates:
            options.append(_partner(group, values, hidden))
        elif group.total not in hidden:
            options.append(group.total)
    if not options:
        return False
    hidden.add(min(options, key=lambda p: (values[p] == 0, values[p], _order(p))))
    return True
