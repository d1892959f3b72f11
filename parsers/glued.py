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

from parsers.labels import ZERO_MARKS

BUDGET = 100_000  # search steps per row before giving up ("too many splits")
TABLE_BUDGET = 250_000  # search steps for all the glued rows of one table together
MAX_SOLUTIONS = 64  # distinct assignments kept; more means ambiguous anyway

FLAG = "split_by_arithmetic"
AMBIGUOUS = "ambiguous without separators"

_DIGITS = re.compile(r"^\d+$")


class Exhausted(Exception):
    """The search budget ran out before every split was seen."""


def is_digit_run(text: str) -> bool:
    return bool(_DIGITS.match(text or ""))


def is_glued_token(text: str) -> bool:
    """A token the solver can place: a digit run or a single zero mark."""
    return is_digit_run(text) or text in ZERO_MARKS


def _groupings(tokens: Sequence[str], width: int, budget: list[int]) -> Iterator[tuple[int, ...]]:
    """Every way more digit tokens than cells fill `width` cells: adjacent tokens form
    one cell (digits split by stray spaces, `2 1` for 21)."""
    for sizes in _compositions(len(tokens), width):
        values, index = [], 0
        for size in sizes:
            budget[0] -= 1
            if budget[0] < 0:
                raise Exhausted
            joined = "".join(tokens[index:index + size])
            index += size
            if (len(joined) > 1 and joined[0] == "0") or not joined.isdigit():
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


def _run_splits(tokens: Sequence[str], width: int, groups: Sequence[int], budget: list[int]) -> Iterator[tuple[int, ...]]:
    """Glued tokens into `width` cells: a digit token may hold several cells, a zero mark
    (—, /, 无) is one cell of 0, and no cell crosses the space between two tokens. Each
    group's last cell is the sum of the others: it is not enumerated but read off (the
    digits must continue with it)."""
    run = "".join("z" if token in ZERO_MARKS else token for token in tokens)
    stops, position = set(), 0
    for token in tokens:
        position += 1 if token in ZERO_MARKS else len(token)
        stops.add(position)
    totals, start = set(), 0
    for size in groups:
        start += size
        totals.add(start - 1)
    # the last group ends the run: its total is a suffix of the digits, so it is chosen
    # first and the group's cells are searched for that sum (every step bounded by it)
    last_group = width - groups[-1] if groups and sum(groups) == width else None
    values: list[int] = []

    def next_stop(pos: int) -> int:
        return min(stop for stop in stops if stop > pos)

    def split_sum(pos: int, end: int, parts: int, target: int) -> Iterator[tuple[int, ...]]:
        budget[0] -= 1
        if budget[0] < 0:
            raise Exhausted
        digits = end - pos
        if parts == 0:
            if digits == 0 and target == 0:
                yield ()
            return
        if digits < parts or target < 0:
            return
        if digits > parts and target < 10 ** (-(-digits // parts) - 1):
            return  # some cell would need -(-digits // parts) digits: more than the sum allows
        longest = 1 if run[pos] in "z0" else min(next_stop(pos) - pos, digits - parts + 1)
        for length in range(1, longest + 1):
            head = 0 if run[pos] == "z" else int(run[pos:pos + length])
            if head > target:
                break
            for rest in split_sum(pos + length, end, parts - 1, target - head):
                yield (head,) + rest

    def tail_group(pos: int, parts: int) -> Iterator[tuple[int, ...]]:
        end = len(run)
        for length in range(1, end - pos - parts + 1):
            start = end - length
            if any(start < stop < end for stop in stops):
                break
            tail = run[start:]
            if tail == "z":
                total = 0
            elif "z" in tail or (tail[0] == "0" and length > 1):
                continue
            else:
                total = int(tail)
            for cells in split_sum(pos, start, parts, total):
                yield cells + (total,)

    def cell_lengths(pos: int) -> range:
        if run[pos] in "z0":
            return range(1, 2)
        end = min(stop for stop in stops if stop > pos)
        return range(1, end - pos + 1)

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
        if index == last_group:
            for cells in tail_group(pos, width - index - 1):
                yield tuple(values) + cells
            return
        if index in totals:
            printed = "z" if group_sum == 0 and run[pos] == "z" else str(group_sum)
            end = pos + len(printed)
            if run.startswith(printed, pos) and not any(pos < stop < end for stop in stops):
                values.append(group_sum)
                yield from walk(end, index + 1, 0)
                values.pop()
            return
        for length in cell_lengths(pos):
            if left - length < width - index - 1:
                break
            head = 0 if run[pos] == "z" else int(run[pos:pos + length])
            if totals and len(str(group_sum + head)) > left - length and group_sum + head > 0:
                break  # the group's total would no longer fit in what is left
            values.append(head)
            yield from walk(pos + length, index + 1, group_sum + head)
            values.pop()

    yield from walk(0, 0, 0)


def row_splits(tokens: Sequence[str], width: int, groups: Sequence[int] = (),
               table_budget: list[int] | None = None) -> tuple[list[tuple[int, ...]], str | None]:
    """The assignments of a row's digit tokens to its `width` cells that satisfy its own
    arithmetic; `groups` are the sizes of consecutive sum groups (last cell of each = the
    sum of the others), e.g. (7,) for a table 3 row, (5, 5, 5) for table 4, () for none.
    Returns (assignments, None) or ([], reason) when the search could not be completed.
    `table_budget` ([steps]) is shared by the rows of one table and spent as they search."""
    budget = [min(BUDGET, table_budget[0]) if table_budget is not None else BUDGET]
    start = budget[0]
    found: list[tuple[int, ...]] = []
    try:
        candidates = (_run_splits(tokens, width, groups, budget) if len(tokens) <= width
                      else _groupings(tokens, width, budget))
        for values in candidates:
            if _sums_hold(values, groups) and values not in found:
                found.append(values)
                if len(found) > MAX_SOLUTIONS:
                    break
    except Exhausted:
        return [], f"too many ways to split {' '.join(tokens)!r} into {width} cells"
    finally:
        if table_budget is not None:
            table_budget[0] -= start - budget[0]
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
