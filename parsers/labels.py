"""The one label normaliser and the one number reader of the parser.

Every rendering of a report (HTML, PDF, DOCX, flattened text) prints the same template
labels a little differently: full- or half-width brackets, spaces inside words, `1.` vs
`1．`, curly quotes. `normalise_label` folds all of that so labels compare as strings;
`read_number` turns one printed cell into a value, keeping what was printed and why a
value is missing. Pure functions over strings; the label variants are data
(label_variants.json), loaded once at import.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from parsers import template

_QUOTES = "\"'“”‘’「」『』〝〞＂"
_DASHES = frozenset("-—–―─－‐‑‒−﹣")
_SPACE_RE = re.compile(r"\s+")
_ENUM_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|\([一二三四五六七八九十]+\)|\d+[.、．](?!\d))"
)


# "2其他法律行政法规禁止公开": an item number whose dot OCR (or a careless typist) lost.
_LOST_DOT_RE = re.compile(r"^([1-9])(?=[\u4e00-\u9fff])")
# A label no known printing matches exactly is taken for the known core it is nearest to
# (OCR's 口 for 中, a dropped character) only when that core is this similar and clearly
# nearer than any other: a near miss is read, an ambiguous one stays unmatched.
NEAR_LABEL_RATIO = 0.8
NEAR_LABEL_MARGIN = 0.1


def nearest_label(core: str, known: dict[str, str]) -> str | None:
    """The value of the key of `known` nearest to `core` (difflib ratio), or None."""
    from difflib import SequenceMatcher

    if len(core) < 4:
        return None
    scored = sorted(((SequenceMatcher(None, core, label).ratio(), key) for label, key in known.items()),
                    reverse=True)
    if not scored or scored[0][0] < NEAR_LABEL_RATIO:
        return None
    rivals = [ratio for ratio, key in scored[1:] if key != scored[0][1]]
    if rivals and scored[0][0] - rivals[0] < NEAR_LABEL_MARGIN:
        return None
    return scored[0][1]


def normalise_text(text: str) -> str:
    """NFKC (full width to half width) and collapsed white space: for body text."""
    if text and len(text) <= 64:  # a table cell, a heading: the same few printings in every report
        return _normalise_short(str(text))
    return _normalise_text(text)


@lru_cache(maxsize=16384)
def _normalise_short(text: str) -> str:
    return _normalise_text(text)


def _normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("\u00a0", " ").replace("\u3000", " ")
    return _SPACE_RE.sub(" ", text).strip()


def clean_text(text: str) -> str:
    """Body text as printed, only white space tidied (NBSP, ideographic space, runs)."""
    text = (text or "").replace("\u00a0", " ").replace("\u3000", " ")
    return _SPACE_RE.sub(" ", text).strip()


@lru_cache(maxsize=16384)  # a table's labels repeat in every report: read each printing once
def normalise_label(text: str) -> str:
    """A label's comparison form: NFKC width folding, no spaces, no quotes, no markup.

    （一） and (一) compare equal, as do 1．/1. /1、, `尚 未 审 结` and `尚未审结`,
    “三安全一稳定” and 三安全一稳定.
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = _SPACE_RE.sub("", text)
    text = text.replace("*", "").replace("#", "")
    for quote in _QUOTES:
        text = text.replace(quote, "")
    text = text.replace("[", "(").replace("]", ")").replace("【", "(").replace("】", ")")
    text = text.replace("、", "、").replace("．", ".")
    text = re.sub(r"^(\d+)、", r"\1.", text)
    text = _LOST_DOT_RE.sub(r"\1.", text)
    return text.rstrip("。.:;,")


def strip_enumerator(label: str) -> str:
    """The label without its leading 一、/(一)/1. enumerators (applied repeatedly)."""
    previous = None
    while previous != label:
        previous = label
        label = _ENUM_RE.sub("", label)
    return label


# --- label variants (data) ------------------------------------------------------


@lru_cache(maxsize=1)
def label_variants() -> dict:
    """The variants file as a dict; tests iterate over it."""
    text = resources.files("parsers").joinpath("label_variants.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def table3_row_labels(layout: str = template.LAYOUT_2021) -> dict[str, str]:
    """normalised label -> table 3 row key of `layout`, for full labels and their variants."""
    labels: dict[str, str] = {}
    extra = label_variants()["table3_rows"]
    for row in template.TABLE3_LAYOUTS[layout]:
        for label in (row.label, *row.variants, *extra.get(row.key, ())):
            labels[normalise_label(label)] = row.key
    return labels


@lru_cache(maxsize=None)
def table3_row_cores(layout: str = template.LAYOUT_2021) -> dict[str, str]:
    """label without enumerator -> row key, only where that core is unambiguous.

    `其他` (row 3.其他) is excluded: it is also a column header, so that row needs its
    `3.` to be recognised.
    """
    cores: dict[str, list[str]] = {}
    for label, key in table3_row_labels(layout).items():
        core = strip_enumerator(label)
        if len(core) >= 4:
            cores.setdefault(core, []).append(key)
    return {core: keys[0] for core, keys in cores.items() if len(set(keys)) == 1}


@lru_cache(maxsize=16384)
def match_table3_row(text: str, layout: str = template.LAYOUT_2021) -> str | None:
    """The table 3 row key of `layout` a printed label names, or None."""
    label = normalise_label(text)
    if not label or len(label) > 80:
        return None
    labels = table3_row_labels(layout)
    if label in labels:
        return labels[label]
    core = strip_enumerator(label)
    cores = table3_row_cores(layout)
    if core in cores:
        return cores[core]
    if len(core) >= 4:
        # 部分公开(区分处理的…) printed with other parenthetical wording
        for known, key in cores.items():
            if len(known) >= 4 and (core.startswith(known) or known.startswith(core)):
                return key
    return nearest_label(core, cores)


@lru_cache(maxsize=None)
def table2_row_labels(layout: str = template.LAYOUT_2021) -> dict[str, str]:
    """normalised label -> table 2 row key of `layout` (规章 -> regulations, 行政处罚 -> penalty…)."""
    labels: dict[str, str] = {}
    extra = label_variants()["table2_rows"]
    for row in template.TABLE2_LAYOUTS[layout]:
        for label in (row.label, *row.variants, *extra.get(row.key, ())):
            labels[normalise_label(label)] = row.key
    return labels


@lru_cache(maxsize=16384)
def match_table2_row(text: str, layout: str = template.LAYOUT_2021) -> str | None:
    label = strip_enumerator(normalise_label(text))
    labels = table2_row_labels(layout)
    return labels.get(label) or nearest_label(label, labels)


def match_table3_column(text: str) -> str | None:
    label = normalise_label(text)
    for key, names in table3_column_names().items():
        if label in names:
            return key
    return None


@lru_cache(maxsize=1)
def table3_column_names() -> dict[str, tuple[str, ...]]:
    """column key -> its normalised header printings, in template order."""
    names = {}
    for key, printed in template.TABLE3_COLUMNS:
        variants = (printed, *template.TABLE3_COLUMN_VARIANTS.get(key, ()),
                    *label_variants()["table3_columns"].get(key, ()))
        names[key] = tuple(dict.fromkeys(normalise_label(name) for name in variants))
    return names


NEAR_HEADER_MIN = 4  # a header this long may be found with one character misread or lost


def find_near(text: str, name: str, start: int = 0) -> int:
    """Where `name` is printed in `text` after `start` with one character misread or one
    lost (OCR), or -1. Names shorter than NEAR_HEADER_MIN must be printed exactly: every
    template header differs from every other in two characters or more, so one cannot be
    taken for another, and the order check still tells a swap."""
    if len(name) < NEAR_HEADER_MIN:
        return -1
    for position in range(start, len(text) - len(name) + 2):
        window = text[position:position + len(name)]
        if len(window) == len(name) and sum(a != b for a, b in zip(window, name)) <= 1:
            return position
        shorter = text[position:position + len(name) - 1]
        if any(name[:i] + name[i + 1:] == shorter for i in range(len(name))):
            return position
    return -1


def find_in_order(text: str, headers: list[tuple[str, ...]], start: int = 0) -> list[int] | None:
    """Where each header (any of its printings, already normalised) is first printed in
    `text` after `start`, when every one is and they come in the order given; else None.
    For header verification: `text` is the normalised header text above a row. First
    printings, so a header repeated for a later group (table 4) cannot hide a swap."""
    positions = []
    for printings in headers:
        found = [text.find(name, start) for name in printings if name]
        found = [position for position in found if position >= 0]
        if not found:  # an OCR'd header a character off (结果维特 for 结果维持)
            found = [position for name in printings if name and (position := find_near(text, name, start)) >= 0]
        if not found:
            return None
        positions.append(min(found))
    if any(later <= earlier for earlier, later in zip(positions, positions[1:])):
        return None
    return positions


# --- numbers --------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """One printed cell read as a number.

    value is None when the cell could not be read; reason says why. flag records how a
    value was obtained when the print was not a plain number (dash, blank, 无…).
    """

    value: int | float | None
    printed: str | None
    flag: str | None = None
    reason: str | None = None


_UNIT_RE = re.compile(r"(万元|件|条|个|起|宗|次|项)$")
_NUMBER_RE = re.compile(r"^[+]?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")
_SPACED_DIGITS = re.compile(r"\d\s+\d")
_ZERO_WORDS = {"无": "none_word", "零": "none_word", "/": "slash", "／": "slash", "\\": "slash"}
# Single characters a cell prints for zero; read_number reads each as 0 with a flag.
ZERO_MARKS: frozenset[str] = frozenset(_DASHES) | frozenset(key for key in _ZERO_WORDS if len(key) == 1)


def read_number(printed: str | None, decimal: bool = False, signed: bool = False) -> Number:
    """Read one printed cell (see _read_number). A plain string is read once per printing:
    a table's zeros and small counts repeat in every report. A str subclass (an OCR'd cell
    with its score) is read on its own, so its Number keeps that very object."""
    if printed is None or type(printed) is str:
        return _read_number_cached(printed, decimal, signed)
    return _read_number(printed, decimal, signed)


@lru_cache(maxsize=16384)  # Number is frozen: sharing one between cells is safe
def _read_number_cached(printed: str | None, decimal: bool, signed: bool) -> Number:
    return _read_number(printed, decimal, signed)


def _read_number(printed: str | None, decimal: bool = False, signed: bool = False) -> Number:
    """Read one printed cell. Never guesses: anything unreadable is None with a reason.

    `—`, `-`, `/`, `无` and an empty cell mean zero in these reports: they read as 0 with
    a flag and the printed text kept. Counts must be whole numbers; `decimal` (fees in 万元)
    allows fractions; `signed` (2019's 本年增/减) allows a minus sign. Digits split by
    stray spaces inside one cell (`2 1`, Word-pasted HTML) read as one number, flagged.
    """
    if printed is None:
        return Number(None, None, None, "cell absent")
    raw = printed
    text = normalise_text(printed).replace(" ", "")
    if text == "":
        return Number(0.0 if decimal else 0, raw, "blank")
    flag = None
    if text != raw.strip().replace(" ", "") and re.search(r"[０-９，．]", raw):
        flag = "fullwidth"
    if all(ch in _DASHES for ch in text) and len(text) <= 3:
        return Number(0.0 if decimal else 0, raw, "dash")
    if text in _ZERO_WORDS:
        return Number(0.0 if decimal else 0, raw, _ZERO_WORDS[text])
    unit = _UNIT_RE.search(text)
    if unit and len(text) > len(unit.group(0)):
        text = text[: -len(unit.group(0))]
        flag = flag or "unit"
    sign = 1
    if signed and len(text) > 1 and text[0] in _DASHES:
        sign, text = -1, text[1:]
    match = _NUMBER_RE.match(text)
    if not match:
        return Number(None, raw, None, f"unreadable number {raw.strip()!r}")
    if _SPACED_DIGITS.search(normalise_text(raw)):
        flag = flag or "spaced_digits"
    whole, fraction = match.group(1), match.group(2)
    if "," in whole:
        flag = flag or "thousands"
    whole = whole.replace(",", "")
    if decimal:
        return Number(sign * float(whole + (fraction or "")), raw, flag)
    if fraction and int(fraction[1:] or 0) != 0:
        return Number(None, raw, None, f"count with a fraction {raw.strip()!r}")
    return Number(sign * int(whole), raw, flag)


def is_number_cell(printed: str | None) -> bool:
    """True for a non-empty cell that reads as a number (including dash/无 zeros)."""
    return printed is not None and _is_number_cell(str(printed))  # an OCR score changes nothing here


@lru_cache(maxsize=16384)  # asked of every cell of every table, most of them the same few printings
def _is_number_cell(printed: str) -> bool:
    if not normalise_text(printed):
        return False
    return read_number(printed, decimal=True, signed=True).value is not None
