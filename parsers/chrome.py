"""Which body lines are portal chrome (QR prompts, ICP/公安 numbers, toolbars…).

The rules are data: parsers/chrome_patterns.txt, one regular expression a line. A line
matching any rule is chrome and never reaches a section's text. Pure; patterns load once.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def chrome_patterns() -> tuple[re.Pattern, ...]:
    """The compiled chrome rules in file order (tests iterate over them)."""
    text = resources.files("parsers").joinpath("chrome_patterns.txt").read_text("utf-8")
    return tuple(
        re.compile(line.strip(), re.IGNORECASE)
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


@lru_cache(maxsize=1)
def _any_chrome() -> re.Pattern:
    """The rules as one alternation: one search a line instead of one per rule (a rule with
    its own flags or back-references would not survive the join: loading says so)."""
    patterns = chrome_patterns()
    if any(re.search(r"\(\?[aiLmsux]|\\[1-9]", pattern.pattern) for pattern in patterns):
        raise ValueError("chrome_patterns.txt: inline flags and back-references are not supported")
    return re.compile("|".join(f"(?:{pattern.pattern})" for pattern in patterns), re.IGNORECASE)


def is_chrome(line: str) -> bool:
    """True when a line of body text is page chrome. Long lines are never chrome: a
    narrative sentence that happens to mention 版权所有 stays."""
    line = (line or "").strip()
    if not line or len(line) > 120:
        return False
    return _any_chrome().search(line) is not None
