"""Which encoding undeclared Chinese text is in: the one guess every room makes the same way.

Portals serve GBK pages with no charset, or under a wrong `charset=utf-8`; text copies
come either way. Valid UTF-8 is taken as UTF-8 (GBK text almost never is valid UTF-8),
anything else as GB18030, the superset of GBK and GB2312 that decodes nearly any bytes.
The crawler's encoding middleware, the spider and the text reader all call this. Pure.
"""

from __future__ import annotations

_BOM = b"\xef\xbb\xbf"


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
