"""The 统计指标 table of reports before the 2019 layout (2008-2018), into the legacy keys.

Those reports print one table of 统计指标 | 单位 | 统计数 rows (主动公开政府信息数, 收到申请数,
当面申请数 …, 行政复议数量, 依申请公开信息收取的费用), worded a little differently by each
province. A row's figure goes into its key (template.LEGACY_ROWS) only from the column
whose header is the value column (统计数/数量…/本年累计): header verification, as for the
newer layouts. Rows that match no key are left in the text (the report keeps its whole text).
Pure functions over Document blocks.
"""

from __future__ import annotations

import re
from functools import lru_cache

from parsers import template
from parsers.document import Block, Table
from parsers.labels import Number, normalise_label, read_number, strip_enumerator
from parsers.tables import RowReading, TableReading

_ASIDE = re.compile(r"^(其中[:：]?|含[:：]?)")
_NUMBERED = re.compile(r"^\(\d+\)")


def _cells(row) -> list[str]:
    return [cell.text for cell in row]


def is_legacy_layout(blocks: list[Block]) -> bool:
    """A report is on the old layout when one of its tables is headed 统计指标."""
    return any(isinstance(block, Table) and any(_is_signature(cell.text) for row in block.rows for cell in row)
               for block in blocks)


def _is_signature(text: str) -> bool:
    return _is_signature_label(str(text or ""))  # an OCR score changes nothing here


@lru_cache(maxsize=16384)  # asked of every table cell of every report
def _is_signature_label(text: str) -> bool:
    label = normalise_label(text)
    return any(signature in label for signature in template.LEGACY_SIGNATURES)


@lru_cache(maxsize=1)
def _labels() -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """(exact normalised label -> key, (prefix, key) pairs longest first)."""
    exact: dict[str, str] = {}
    for row in template.LEGACY_ROWS:
        for label in (row.label, *row.variants):
            exact[_core(label)] = row.key
    prefixes = tuple(sorted(((label, key) for label, key in exact.items() if len(label) >= 4),
                            key=lambda item: -len(item[0])))
    return exact, prefixes


def _core(label: str) -> str:
    """其中：1.当面申请数 / (3)“非本部门掌握”数 -> 当面申请数 / 非本部门掌握数."""
    core = _ASIDE.sub("", strip_enumerator(normalise_label(label)))
    return strip_enumerator(_NUMBERED.sub("", core))


def match_legacy_row(text: str) -> str | None:
    core = _core(text)
    if not core:
        return None
    exact, prefixes = _labels()
    if core in exact:
        return exact[core]
    for prefix, key in prefixes:
        if core.startswith(prefix) and len(core) <= len(prefix) + 6:
            return key
    return None


def read_legacy(blocks: list[Block]) -> TableReading:
    """Every legacy key the 统计指标 tables print, read from their value column."""
    reading = TableReading(template.LAYOUT_LEGACY)
    decimal_keys = {row.key for row in template.LEGACY_ROWS if row.decimal}
    for block in blocks:
        if not isinstance(block, Table):
            continue
        value_column = unit_column = None
        for row in block.rows:
            texts = [normalise_label(text) for text in _cells(row)]
            if value_column is None:
                if any(_is_signature(text) for text in texts):
                    value_column = next((i for i, text in enumerate(texts)
                                         if text in template.LEGACY_VALUE_HEADERS), None)
                    unit_column = next((i for i, text in enumerate(texts) if text in template.LEGACY_UNIT_HEADERS), None)
                    if value_column is None:
                        reading.problems.append(f"legacy table: no value column header "
                                                f"({'/'.join(template.LEGACY_VALUE_HEADERS)}) in {texts!r}"[:200])
                        break
                continue
            label_index = next((i for i, text in enumerate(texts) if text), None)
            if label_index is None or label_index >= value_column:
                continue
            key = match_legacy_row(row[label_index].text)
            if key is None or key in reading.rows or value_column >= len(row):
                continue
            unit = row[unit_column].text if unit_column is not None and unit_column < len(row) else ""
            decimal = key in decimal_keys or "万元" in unit or "元" in unit
            number = read_number(row[value_column].text, decimal=decimal)
            if number.value is not None and not decimal and "万元" in unit:
                number = Number(float(number.value), number.printed, number.flag)
            reading.rows[key] = RowReading([number], number.reason)
    return reading
