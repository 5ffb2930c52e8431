"""Small-cell suppression, attacked the way a curious reader would: by subtraction and by
solving the published sums as a system of equations (an exact rational solver written here,
independent of the module's own elimination)."""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from typing import TypeVar

import pytest
from hypothesis import given, settings, strategies as st

from passengine.domain.suppression import Group, suppress

K = TypeVar("K", bound=Hashable)


def recover_by_subtraction(
    published: Mapping[K, int | None], groups: Sequence[Group[K]]
) -> dict[K, int]:
    """Repeatedly solve any sum with exactly one unknown member, as with a calculator."""
    known = {k: v for k, v in published.items() if v is not None}
    found: dict[K, int] = {}
    progress = True
    while progress:
        progress = False
        for g in groups:
            members = (g.total, *g.parts)
            unknown = [m for m in members if m not in known]
            if len(unknown) != 1:
                continue
            (cell,) = unknown
            if cell == g.total:
                value = sum(known[p] for p in g.parts)
            else:
                value = known[g.total] - sum(known[p] for p in g.parts if p != cell)
            known[cell] = found[cell] = value
            progress = True
    return found


def recover_by_algebra(
    published: Mapping[K, int | None], groups: Sequence[Group[K]]
) -> dict[K, Fraction]:
    """Every hidden cell that the published sums pin down exactly (rational Gauss-Jordan)."""
    unknowns = sorted((k for k, v in published.items() if v is None), key=repr)
    col = {k: i for i, k in enumerate(unknowns)}
    rows: list[list[Fraction]] = []
    for g in groups:
        row = [Fraction(0)] * (len(unknowns) + 1)
        constant = Fraction(0)
        for p in g.parts:
            if p in col:
                row[col[p]] += 1
            else:
                constant -= published[p] or 0
        if g.total in col:
            row[col[g.total]] -= 1
        else:
            constant += published[g.total] or 0
        row[-1] = constant
        rows.append(row)
    pivot_row = 0
    pivots: list[int] = []
    for c in range(len(unknowns)):
        found = next((r for r in range(pivot_row, len(rows)) if rows[r][c] != 0), None)
        if found is None:
            continue
        rows[pivot_row], rows[found] = rows[found], rows[pivot_row]
        lead = rows[pivot_row][c]
        rows[pivot_row] = [x / lead for x in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][c] != 0:
                factor = rows[r][c]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[pivot_row], strict=True)]
        pivots.append(c)
        pivot_row += 1
    solved: dict[K, Fraction] = {}
    for r, c in enumerate(pivots):
        if all(rows[r][j] == 0 for j in range(len(unknowns)) if j != c):
            solved[unknowns[c]] = rows[r][-1]
    return solved


def assert_protected(
    values: Mapping[K, int],
    published: Mapping[K, int | None],
    groups: Sequence[Group[K]],
    threshold: int,
) -> None:
    for key, value in values.items():
        if 0 < value < threshold:
            assert published[key] is None, f"{key} = {value} is published"
        if published[key] is not None:
            assert published[key] == value
    assert recover_by_subtraction(published, groups) == {}
    pinned = recover_by_algebra(published, groups)
    # A hidden cell may only be pinned when it is zero: that singles nobody out.
    assert all(v == 0 for v in pinned.values()), pinned


def test_small_counts_are_hidden_and_zero_and_large_counts_are_not() -> None:
    values = {"a": 0, "b": 1, "c": 4, "d": 5, "e": 120}
    assert suppress(values) == {"a": 0, "b": None, "c": None, "d": 5, "e": 120}


def test_a_threshold_of_one_hides_nothing() -> None:
    values = {"a": 0, "b": 1, "c": 4}
    assert suppress(values, threshold=1) == values


def test_subtraction_from_the_total_is_prevented_with_the_smallest_other_part() -> None:
    values = {"total": 40, "eisden": 2, "opgrimbie": 11, "vucht": 7, "leut": 20}
    groups = [Group("total", ("eisden", "opgrimbie", "vucht", "leut"))]
    published = suppress(values, groups)
    assert published == {"total": 40, "eisden": None, "opgrimbie": 11, "vucht": None, "leut": 20}
    assert_protected(values, published, groups, 5)


def test_the_total_is_hidden_when_no_part_is_left_to_hide() -> None:
    values = {"total": 3, "a": 3, "b": 0}
    groups = [Group("total", ("a", "b"))]
    published = suppress(values, groups)
    assert published["a"] is None
    assert published["total"] is None
    assert_protected(values, published, groups, 5)


def test_a_hidden_total_is_not_given_away_by_its_parts() -> None:
    values = {"total": 4, "a": 2, "b": 2}
    groups = [Group("total", ("a", "b"))]
    assert suppress(values, groups) == {"total": None, "a": None, "b": None}


def test_cells_pinned_by_several_sums_at_once_get_more_company() -> None:
    # Each sum has two hidden cells, so subtraction alone fails; the three sums together pin
    # a, b and c. The exact check hides more until they no longer do.
    values = {"ab": 7, "bc": 5, "ac": 6, "a": 4, "b": 3, "c": 2, "x": 3, "y": 2, "z": 4}
    groups = [
        Group("ab", ("a", "b")),
        Group("bc", ("b", "c")),
        Group("ac", ("a", "c")),
    ]
    naive = {k: None if 0 < v < 5 else v for k, v in values.items()}
    assert recover_by_algebra(naive, groups)  # the attack works on primary suppression alone
    published = suppress(values, groups)
    assert_protected(values, published, groups, 5)


def test_wrong_groups_are_refused() -> None:
    with pytest.raises(ValueError, match="add up"):
        suppress({"t": 5, "a": 2, "b": 2}, [Group("t", ("a", "b"))])
    with pytest.raises(ValueError, match="unknown cell"):
        suppress({"t": 5, "a": 5}, [Group("t", ("a", "b"))])
    with pytest.raises(ValueError, match="twice"):
        suppress({"t": 4, "a": 2}, [Group("t", ("a", "a"))])


def hierarchy(
    counts: list[list[tuple[int, int]]],
) -> tuple[dict[Hashable, int], list[Group[Hashable]]]:
    """A region of municipalities of sub-municipalities; per node status holders, reached and
    not reached, as the participation report publishes them."""
    values: dict[Hashable, int] = {}
    groups: list[Group[Hashable]] = []
    measures = ("status", "reached", "not_reached")
    for m, subs in enumerate(counts):
        for s, (reached, not_reached) in enumerate(subs):
            node = ("sub", m, s)
            values[("reached", node)] = reached
            values[("not_reached", node)] = not_reached
            values[("status", node)] = reached + not_reached
        for measure in measures:
            values[(measure, ("mun", m))] = sum(
                values[(measure, ("sub", m, s))] for s in range(len(subs))
            )
            groups.append(
                Group(
                    (measure, ("mun", m)),
                    tuple((measure, ("sub", m, s)) for s in range(len(subs))),
                )
            )
    for measure in measures:
        values[(measure, "region")] = sum(values[(measure, ("mun", m))] for m in range(len(counts)))
        groups.append(
            Group((measure, "region"), tuple((measure, ("mun", m)) for m in range(len(counts))))
        )
    nodes: list[Hashable] = ["region"]
    nodes += [("mun", m) for m in range(len(counts))]
    nodes += [("sub", m, s) for m, subs in enumerate(counts) for s in range(len(subs))]
    for each in nodes:
        groups.append(Group(("status", each), (("reached", each), ("not_reached", each))))
    return values, groups


small_counts = st.integers(min_value=0, max_value=12)
region_counts = st.lists(
    st.lists(st.tuples(small_counts, small_counts), min_size=1, max_size=4),
    min_size=1,
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(region_counts, st.integers(min_value=2, max_value=8))
def test_no_hidden_count_of_a_region_can_be_recovered(
    counts: list[list[tuple[int, int]]], threshold: int
) -> None:
    values, groups = hierarchy(counts)
    published = suppress(values, groups, threshold=threshold)
    assert_protected(values, published, groups, threshold)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(small_counts, min_size=2, max_size=5), st.lists(small_counts, min_size=2, max_size=5)
)
def test_a_two_way_table_with_its_margins_is_protected(rows: list[int], cols: list[int]) -> None:
    values: dict[Hashable, int] = {}
    for i, j in itertools.product(range(len(rows)), range(len(cols))):
        values[(i, j)] = (rows[i] * 3 + cols[j] * 7 + i * j) % 9
    groups: list[Group[Hashable]] = []
    for i in range(len(rows)):
        values[("row", i)] = sum(values[(i, j)] for j in range(len(cols)))
        groups.append(Group(("row", i), tuple((i, j) for j in range(len(cols)))))
    for j in range(len(cols)):
        values[("col", j)] = sum(values[(i, j)] for i in range(len(rows)))
        groups.append(Group(("col", j), tuple((i, j) for i in range(len(rows)))))
    values["all"] = sum(values[("row", i)] for i in range(len(rows)))
    groups.append(Group("all", tuple(("row", i) for i in range(len(rows)))))
    groups.append(Group("all", tuple(("col", j) for j in range(len(cols)))))
    published = suppress(values, groups)
    assert_protected(values, published, groups, 5)
