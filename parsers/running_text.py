"""A report printed as one line of running text, back into headings, paragraphs and tables.

Text copies scraped from portal pages often hold the whole report on one line: the six
headings inline (`…主动公开政府信息107条。二、主动公开政府信息情况第二十条第（一）项…`), table
cells separated by single spaces or by nothing at all (`规章000行政规范性文件008`). The
headings are found in order (parsers.sections.inline_headings); inside sections 2-4 the
table rows are found by the template's own labels (every layout's), and what follows a
label up to the next one is that row: its leading numbers are its cells (a glued digit run
stays one token for parsers.glued), text after them starts a header row. The label set
is the template's, so nothing here knows a label of its own. Pure.
"""

from __future__ import annotations

import re
from functools import lru_cache

from parsers import template
from parsers.document import Block, Cell, Heading, Paragraph, Table
from parsers.labels import ZERO_MARKS, is_number_cell, label_variants, normalise_label
from parsers.sections import inline_headings

# A line is running text when it holds at least this many of the six headings.
MIN_INLINE_HEADINGS = 2
_TITLE = re.compile(r"^\s*(.{2,60}?(?:19|20)\d{2}\s*年度?\s*政府信息公开(?:工作)?年度报告)")
_WIDE = {"(": "（", ")": "）", ".": "．", ",": "，", ":": "：", "/": "／"}
_QUOTES = "\"'“”‘’「」『』"
_NUMBER_OR_TEXT = re.compile(r"-?\d+(?:[.,．，]\d+)*|[^\d-]+|-")


def _label_pattern(label: str) -> str:
    """A label as printed in running text: any width of bracket and dot, 、 for ., spaces
    and quotes anywhere between its characters."""
    parts = []
    for char in normalise_label(label):
        if char == ".":
            parts.append("[.．、]")
        elif char in _WIDE:
            parts.append(f"[{re.escape(char)}{_WIDE[char]}]")
        else:
            parts.append(re.escape(char))
    return rf"[\s{_QUOTES}]*".join(parts) + f"[{_QUOTES}]?"


@lru_cache(maxsize=1)
def row_label_pattern() -> re.Pattern:
    """Every table label of every layout (rows, group labels, 第二十条 blocks), longest first."""
    labels = set()
    for rows in template.TABLE2_LAYOUTS.values():
        for row in rows:
            labels.update((row.label, *row.variants, row.block))
    for key_variants in label_variants()["table2_rows"].values():
        labels.update(key_variants)
    for rows in template.TABLE3_LAYOUTS.values():
        for row in rows:
            labels.update((row.label, *row.variants))
            if row.group:
                labels.add(row.group)
    for key_variants in label_variants()["table3_rows"].values():
        labels.update(key_variants)
    ordered = sorted(labels, key=lambda label: -len(normalise_label(label)))
    return re.compile("|".join(_label_pattern(label) for label in ordered))


def _tokens(text: str) -> list[str]:
    """Cells of the text between two labels: white space separates them; a digit run glued
    to words (`总计100010000`) is cut from them, never from other digits."""
    tokens = []
    for chunk in text.split():
        if is_number_cell(chunk):
            tokens.append(chunk)
            continue
        for part in _NUMBER_OR_TEXT.findall(chunk):
            if all(char in ZERO_MARKS for char in part):
                tokens.extend(part)  # 无无— : one zero mark a cell
            elif part.strip():
                tokens.append(part)
    return tokens


def table_rows(text: str) -> list[list[str]]:
    """Rows of one table region of running text: [label, cells…] per label; text between
    rows (headers) a row of its own, its numbers after it."""
    rows: list[list[str]] = []
    matches = list(row_label_pattern().finditer(text))
    pieces = [(None, text[:matches[0].start()] if matches else text)]
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        pieces.append((match.group(0), text[match.end():end]))
    for label, rest in pieces:
        row: list[str] = [label.strip()] if label else []
        words: list[str] = []
        for token in _tokens(rest):
            if is_number_cell(token):
                if words:
                    if row:
                        rows.append(row)
                    row, words = [" ".join(words)], []
                row.append(token)
            else:
                if row and len(row) > 1 and not words:
                    rows.append(row)
                    row = []
                words.append(token)
        if words:
            if row:
                rows.append(row)
            row = [" ".join(words)]
        if row:
            rows.append(row)
    return rows


def running_text_blocks(line: str) -> list[Block] | None:
    """The blocks of a one-line report, or None when the line is not one."""
    headings = inline_headings(line)
    if len(headings) < MIN_INLINE_HEADINGS:
        return None
    blocks: list[Block] = []
    preamble = line[:headings[0][0]].strip()
    title = _TITLE.match(preamble)
    if title:
        blocks.append(Paragraph(title.group(1).strip()))
        preamble = preamble[title.end():].strip()
    if preamble:
        blocks.append(Paragraph(preamble))
    for index, (start, end, number) in enumerate(headings):
        body_end = headings[index + 1][0] if index + 1 < len(headings) else len(line)
        blocks.append(Heading(line[start:end].strip()))
        body = line[end:body_end].strip()
        if not body:
            continue
        if number in "234":
            blocks.append(Table([[Cell(text) for text in row] for row in table_rows(body)], inferred=True))
        else:
            blocks.append(Paragraph(body))
    return blocks
