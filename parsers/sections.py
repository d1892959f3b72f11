"""The six section headings: recognising them, in lines, table cells and running text.

The readers (text, HTML) and the report builder all ask this module whether something is
a section heading, so the headings are known in one place (template.SECTIONS) and matched
one way. Pure functions over strings and Document blocks.
"""

from __future__ import annotations

import re
from functools import lru_cache

from parsers import template
from parsers.chrome import is_chrome
from parsers.document import Block, Cell, Paragraph, Table
from parsers.labels import normalise_label

_NUMERALS = {section.numeral: section.number for section in template.SECTIONS}
_HEADING_RE = re.compile(r"^([一二三四五六])[、.,:]?(.*)$")


def section_number(text: str) -> str | None:
    """"1".."6" when a line is one of the six section headings, else None."""
    label = normalise_label(text)
    if not label or len(label) > 40:
        return None
    match = _HEADING_RE.match(label)
    if match:
        section = template.SECTIONS[int(_NUMERALS[match.group(1)]) - 1]
        rest = match.group(2)
        if all(word in rest for word in section.keywords) and "结转" not in rest:
            return section.number
        return None
    for section in template.SECTIONS:
        if label == normalise_label(section.heading):
            return section.number
    return None


def heading_hint() -> re.Pattern:
    """A loose pattern for a heading's start anywhere in an element's text (HTML body search)."""
    starts = "|".join(re.escape(section.heading[:6]) for section in template.SECTIONS)
    return re.compile(rf"([一二三四五六])\s*[、.．]\s*({starts})")


@lru_cache(maxsize=1)
def _inline_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """Each heading as printed, with any white space between its characters."""
    patterns = []
    for section in template.SECTIONS:
        spaced = r"\s*".join(re.escape(char) for char in section.heading)
        patterns.append((section.number, re.compile(rf"{section.numeral}\s*[、.．,，]?\s*{spaced}")))
    return tuple(patterns)


def inline_headings(text: str) -> list[tuple[int, int, str]]:
    """(start, end, number) of the section headings inside one line of running text, in
    order: each heading is looked for after the previous one, so a heading quoted earlier
    (全文包括…) cannot reorder them."""
    found = []
    position = 0
    for number, pattern in _inline_patterns():
        match = pattern.search(text, position)
        if match:
            found.append((match.start(), match.end(), number))
            position = match.end()
    return found


def run_in_heading(text: str) -> tuple[str, str] | None:
    """(number, the text after it) when a paragraph opens with a whole section heading and
    runs on: a heading set as a bold run at the start of its paragraph (开普云 pages, Word
    files) comes out of a browser's print or a text copy as one line with its first sentence."""
    for number, pattern in _inline_patterns():
        match = pattern.match(text.lstrip())
        if match:
            rest = text.lstrip()[match.end():].lstrip(" \t。.．:：")
            return (number, rest) if rest else None
    return None


def block_text(block: Block) -> str:
    if isinstance(block, Table):
        return "\n".join("\t".join(cell.text for cell in row if not cell.spanned).strip()
                         for row in block.rows)
    return block.text


def drop_chrome(blocks: list[Block]) -> list[Block]:
    kept: list[Block] = []
    for block in blocks:
        if isinstance(block, Table):
            rows = [row for row in block.rows
                    if not (len({c.text for c in row if c.text.strip()}) == 1
                            and is_chrome(next(c.text for c in row if c.text.strip())))]
            if rows:
                kept.append(Table(rows, inferred=block.inferred))
        elif not is_chrome(block.text):
            kept.append(block)
    return kept


def split_sections(blocks: list[Block]) -> tuple[list[Block], dict[str, list[Block]]]:
    """(blocks before section 1, {number: blocks}) cut at the six headings, in order.

    Headings only move forward, so sub-headings such as 三、深化政民互动 inside section 6
    (seed 002) or the table row 四、结转下年度继续办理 never start a section.
    """
    preamble: list[Block] = []
    sections: dict[str, list[Block]] = {}
    current = "0"
    target = preamble

    def start(number: str) -> None:
        nonlocal current, target
        current = number
        target = sections.setdefault(number, [])

    for block in blocks:
        if isinstance(block, Table):
            rows: list[list[Cell]] = []
            for row in block.rows:
                texts = {cell.text.strip() for cell in row if cell.text.strip()}
                number = section_number(next(iter(texts))) if len(texts) == 1 else None
                if number and number > current:
                    if rows:
                        target.append(Table(rows, inferred=block.inferred))
                        rows = []
                    start(number)
                else:
                    rows.append(row)
            if rows:
                target.append(Table(rows, inferred=block.inferred))
            continue
        run_in = run_in_heading(block.text)
        number = run_in[0] if run_in else section_number(block.text)
        if number and number > current:
            start(number)
            if run_in:  # the heading's own paragraph goes on: its text is the section's
                target.append(Paragraph(run_in[1]))
        else:
            target.append(block)
    return preamble, sections


def section_text(blocks: list[Block], with_tables: bool) -> str | None:
    lines = []
    for block in blocks:
        if isinstance(block, Table):
            if with_tables:
                lines.append(block_text(block))
        else:
            lines.append(block.text.strip())
    return "\n".join(line for line in lines if line)
