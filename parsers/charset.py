"""Which encoding undeclared Chinese text is in: the one guess every room makes the same way.

Portals serve GBK pages with no charset, or under a wrong `charset=utf-8`; text copies
come either way. Valid UTF-8 is taken as UTF-8 (GBK text almost never is valid UTF-8),
anything else as GB18030, the superset of GBK and GB2312 that decodes nearly any bytes.
A page that declares a charset is weighed the same way (`decode_declared`).
The crawler's encoding middleware, the spider, the HTML and text readers all call this. Pure.
"""

from __future__ import annotations

import re

_BOM = b"\xef\xbb\xbf"
_CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030",
           "cp936": "gb18030", "utf8": "utf-8"}
# error pages and wrong fallbacks declare these: the bytes decide instead
IGNORED = ("iso-8859-1", "latin-1", "windows-1252", "cp1252", "us-ascii", "ascii")


def guess_encoding(data: bytes) -> str:
    """"utf-8" when the bytes decode as UTF-8, else "gb18030"."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def decode_text(data: bytes) -> str:
    """Undeclared text as a string (a UTF-8 byte-order mark dropped); never raises."""
    data = data[len(_BOM):] if data.startswith(_BOM) else data
    return data.decode(guess_encoding(data), errors="replace")


def declared_charsets(data: bytes, content_type: str | None = None) -> list[str]:
    """The charsets a response declares: its Content-Type header's, then the page's meta."""
    declared = []
    for source in ((content_type or "").encode("latin-1", "ignore"), data[:4096]):
        match = _CHARSET_RE.search(source)
        if match:
            declared.append(match.group(1).decode("ascii", "ignore"))
    return declared


def decode_declared(data: bytes, declared: list[str]) -> str:
    """Strict UTF-8 first, then each declared charset (gb2312/gbk read as GB18030), then
    GB18030. UTF-8 goes first because a wrong declaration is common in both directions
    (GBK bytes under `charset=utf-8`, UTF-8 bytes under a GBK header) and Chinese text in
    GBK almost never decodes as valid UTF-8, while GB18030 decodes nearly any bytes, wrongly."""
    for name in ["utf-8-sig", *declared, "gb18030"]:
        name = ALIASES.get(name.lower(), name.lower())
        if name in IGNORED:
            continue
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return decode_text(data)
