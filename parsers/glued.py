"""Digits whose cell separators were lost, put back by the template's arithmetic only.

Text copies of reports print table rows with their cells glued (`713000074` for
71,3,0,0,0,0,74) or split by stray spaces (`2 1` for 21). Both are the same problem: the
printed digits are certain, the cell boundaries are not. This module enumerates the ways
the digits can fill a row's cells (no leading zeros except `0` itself) and keeps those the
template's arithmetic allows: per row here (a table 3 row's six columns add up to its
总计, each table 4 group's four results to its 总计), across rows in `resolve_columns`
(rows 3-23 = （七）总计, 新收 + 上年结转 = 办结 + 结转下年度). One survivor is taken; several
leave the cells NULL with the printed digits. Nothing is ever guessed. Every search is
bounded (`BUDGET` steps): a run with too many possible splits is NULL, not slow. Pure.
"""

from __future__ import annotations

import itertools
import re
from typing import Iterator, Sequence

BUDGET = 100_000  # search steps per row or table before giving up ("too many splits")
MAX_SOLUTIONS = 64  # distinct assignments kept; more means ambiguous anyway

FLAG = "split_by_arithmetic"
AMBIGUOUS = "ambiguous without separators"

_DIGITS = re.compile(r"^\d+$")


class Exhausted(Exception):
    """The search budget ran out before every split was seen."""


def is_digit_run(text: str) -> bool:
    return bool(_DIGITS.match(text or ""))


def _parts(run: str, count: int, budget: list[int]) -> Iterator[tuple[int, ...]]:
    """Every way to cut `run` into `count` numbers without leading zeros."""
    if count == 0:
        if not run:
            yield ()
        return
    if len(run) < count:
        return
    longest = 1 if run[0] == "0" else len(run) - count + 1
    for length in range(1, longest + 1):
        budget[0] -= 1
        if budget[0] < 0:
            raise Exhausted
        head = int(run[:length])
        for rest in _parts(run[length:], count - 1, budget):
            yield (head,) + rest


def _groupings(tokens: Sequence[str], width: int, budget: list[int]) -> Iterator[tuple[int, ...]]:
    """Every way printed digit tokens fill `width` cells: a token may hold several cells
    (glued) and adjacent tokens may form one cell (stray spaces), never both at once."""
    if len(tokens) <= width:
        for counts in _compositions(width, len(tokens)):
            for pieces in itertools.product(*(list(_parts(token, k, budget)) for token, k in zip(tokens, counts))):
                yield tuple(value for piece in pieces for value in piece)
    else:
        for sizes in _compositions(len(tokens), width):
            values, index = [], 0
            for size in sizes:
                budget[0] -= 1
                if budget[0] < 0:
                    raise Exhausted
                joined = "".join(tokens[index:index + size])
                index += size
                if len(joined) > 1 and joined[0] == "0":
                    break
                values.append(int(joined))
            else:
                yield tuple(values)


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Ordered ways to write `total` as `parts` positive integers."""
    if parts == 0:
        if total == 0:
            yield ()
        return
    for first in range(1, total - parts + 2):
        for rest in _compositions(total - first, parts - 1):
            yield (first,) + rest


def _run_splits(run: str, width: int, groups: Sequence[int], budget: list[int]) -> Iterator[tuple[int, ...]]:
    """One digit run into `width` cells where each group's last cell is the sum of the
    others: that cell is not enumerated but read off (the run must continue with it)."""
    totals, start = set(), 0
    for size in groups:
        start += size
        totals.add(start - 1)
    values: list[int] = []

    def walk(pos: int, index: int, group_sum: int) -> Iterator[tuple[int, ...]]:
        budget[0] -= 1
        if budget[0] < 0:
            raise Exhausted
        left = len(run) - pos
        if index == width:
            if left == 0:
                yield tuple(values)
            return
        if left < width - index:
            return
        if index in totals:
            printed = str(group_sum)
            if run.startswith(printed, pos):
                values.append(group_sum)
                yield from walk(pos + len(printed), index + 1, 0)
                values.pop()
            return
        longest = 1 if run[pos] == "0" else left - (width - index - 1)
        for length in range(1, longest + 1):
            head = int(run[pos:pos + length])
            if totals and len(str(group_sum + head)) > left - length:
                break  # the group's total would no longer fit in what is left
            values.append(head)
            yield from walk(pos + length, index + 1, group_sum + head)
            values.pop()

    yield from walk(0, 0, 0)


def row_splits(tokens: Sequence[str], width: int, groups: Sequence[int] = ()) -> tuple[list[tuple[int, ...]], str | None]:
    """The assignments of a row's digit tokens to its `width` cells that satisfy its own
    arithmetic; `groups` are the sizes of consecutive sum groups (last cell of each = the
    sum of the others), e.g. (7,) for a table 3 row, (5, 5, 5) for table 4, () for none.
    Returns (assignments, None) or ([], reason) when the search could not be completed."""
    budget = [BUDGET]
    found: list[tuple[int, ...]] = []
    try:
        candidates = (_run_splits(tokens[0], width, groups, budget) if len(tokens) == 1
                      else _groupings(tokens, width, budget))
        for values in candidates:
            if _sums_hold(values, groups) and values not in found:
                found.append(values)
                if len(found) > MAX_SOLUTIONS:
                    break
    except Exhausted:
        return [], f"too many ways to split {' '.join(tokens)!r} into {width} cells"
    return found, None


def _sums_hold(values: Sequence[int], groups: Sequence[int]) -> bool:
    start = 0
    for size in groups:
        group = values[start:start + size]
        if sum(group[:-1]) != group[-1]:
            return False
        start += size
    return True


def agreed(assignments: Sequence[Sequence[int]]) -> list[int | None]:
    """Per cell: the value every assignment gives it, else None."""
    if not assignments:
        return []
    return [column[0] if all(value == column[0] for value in column) else None
            for column in zip(*assignments)]


def resolve_columns(rows: dict[str, list[tuple[int, ...]]], fixed: dict[str, Sequence[int | None]],
                    constraints: Sequence[tuple[Sequence[str], Sequence[str]]],
                    width: int) -> tuple[dict[str, list[tuple[int, ...]]], str | None]:
    """Narrow ambiguous rows with column arithmetic shared across rows.

    `rows`: row key -> its candidate assignments (more than one); `fixed`: rows already
    known; `constraints`: (left rows, right rows) whose column sums must be equal in every
    column. Returns each ambiguous row's assignments that appear in some complete
    solution (or the input unchanged, with a reason, when the search was too large or a
    constraint touches a row that is not known at all).
    """
    keys = sorted(rows, key=lambda key: len(rows[key]))
    combinations = 1
    for key in keys:
        combinations *= len(rows[key])
    if combinations > BUDGET:
        return rows, f"{combinations} combinations of ambiguous rows: too many to search"
    usable = [(left, right) for left, right in constraints
              if all(key in rows or (key in fixed and None not in fixed[key]) for key in (*left, *right))
              and any(key in rows for key in (*left, *right))]
    if not usable:
        return rows, None
    surviving: dict[str, set] = {key: set() for key in keys}
    for choice in itertools.product(*(rows[key] for key in keys)):
        values = dict(fixed)
        values.update(zip(keys, choice))
        if all(all(sum(values[k][c] for k in left) == sum(values[k][c] for k in right) for c in range(width))
               for left, right in usable):
            for key, assignment in zip(keys, choice):
                surviving[key].add(assignment)
    return {key: sorted(surviving[key]) for key in keys}, None
