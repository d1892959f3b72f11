"""Column discovery, the pure part: from a portal's home page (or its 政府信息公开 page) to
its 政府信息公开年报 column(s) and the registry entry that crawls them.

The spider (crawler/spiders/discover.py) fetches; this module only reads links and writes
the entry. Which links name a 年报 column or the 政府信息公开 area is the link rules' job
(crawler/link_rules.json); which CMS a page shows is crawler.families.guess_family.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler import linkrules
from crawler.families import Link

MAX_AREAS = 4  # 政府信息公开 pages followed from one page
MAX_COLUMNS = 6  # candidate 年报 columns checked


@dataclass
class Findings:
    columns: list[Link] = field(default_factory=list)  # links that name a 年报 column
    areas: list[Link] = field(default_factory=list)  # links to the 政府信息公开 area


def is_report_column_link(link: Link) -> bool:
    """政府信息公开年报, 年度报告, 2024年年报: a column of reports, not one report's page."""
    if linkrules.is_detail_url(link.url) or linkrules.attachment_extension(link.url):
        return False
    text = linkrules.normalize_title(link.text)
    return linkrules.is_column_name(text) or (
        linkrules.is_column_title(text) and bool(re.search(r"年报|年度报告", text)) and not re.search(r"\d{4}", text))


def read_links(links: list[Link], same_site) -> Findings:
    """Sort one page's links into 年报 columns and 政府信息公开 area pages; `same_site(url)`
    keeps the walk on the portal."""
    found, seen = Findings(), set()
    for link in links:
        if link.url in seen or not same_site(link.url):
            continue
        seen.add(link.url)
        if is_report_column_link(link):
            found.columns.append(link)
        elif linkrules.is_area_text(link.text):
            found.areas.append(link)
    found.columns, found.areas = found.columns[:MAX_COLUMNS], found.areas[:MAX_AREAS]
    return found


@dataclass
class Column:
    """A candidate column after fetching it: what its list page object read there."""

    url: str
    text: str
    family: str
    evidence: str
    reports: int
    sub_columns: int
    next_pages: int

    @property
    def is_list(self) -> bool:
        return bool(self.reports or self.sub_columns)


def registry_entry(home_url: str, columns: list[Column], local: bool, **fields) -> dict:
    """The crawler/portals.json entry for what discovery confirmed (unverified: a person
    looks at it before it crawls unattended). Family: what most confirmed columns show."""
    confirmed = [c for c in columns if c.is_list]
    parts = urlsplit(home_url)
    host = parts.netloc if local else (parts.hostname or "")
    families = Counter(c.family for c in confirmed)
    family = families.most_common(1)[0][0] if families else "generic"
    name = fields.get("name")
    entry = {
        "id": fields.get("id") or _id_for(host, local),
        "name": name, "province": fields.get("province"), "city": fields.get("city"),
        "county": fields.get("county") or _county_of(name), "admin_code": fields.get("admin_code"),
        "family": family, "hosts": sorted({host} | {host_of(c.url, local) for c in confirmed}),
        "start_urls": [c.url for c in confirmed],
        "verified": False, "local": local,
        "hints": {"discovered_from": home_url,
                  "family_evidence": next((c.evidence for c in confirmed if c.family == family), None),
                  "columns": [{"url": c.url, "text": c.text, "family": c.family, "reports": c.reports,
                               "sub_columns": c.sub_columns} for c in columns]},
    }
    return entry


def site_domain(host: str) -> str:
    """yichun.gov.cn for www.yichun.gov.cn and xxgk.yichun.gov.cn: a portal's 信息公开 often
    sits on a sibling host of its home page."""
    labels = host.lower().split(":")[0].split(".")
    keep = 3 if labels[-2:] in (["gov", "cn"], ["com", "cn"], ["org", "cn"], ["net", "cn"]) else 2
    return ".".join(labels[-keep:])


def same_site(url: str, home_url: str, local: bool) -> bool:
    """On the portal of `home_url`: the same host:port for a local portal, the same site
    domain for a real one."""
    if local:
        return urlsplit(url).netloc.lower() == urlsplit(home_url).netloc.lower()
    host, home = urlsplit(url).hostname or "", urlsplit(home_url).hostname or ""
    return bool(host) and site_domain(host) == site_domain(home)


def host_of(url: str, local: bool) -> str:
    parts = urlsplit(url)
    return parts.netloc if local else (parts.hostname or "")


def _id_for(host: str, local: bool) -> str:
    labels = [label for label in re.split(r"[.:]", host) if label and label not in ("www", "gov", "cn", "com")]
    return ("-".join(labels) if local else (labels[0] if labels else host)) or "portal"


def _county_of(name: str | None) -> str | None:
    match = re.match(r"(.+?[县区市旗])人民政府$", name or "")
    return match.group(1) if match else None
