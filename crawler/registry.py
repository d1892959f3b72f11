"""The portal registry: which portals to crawl, their hosts, start URLs and hints.

Reads crawler/portals.json (the real, unverified seed counties) or any JSON list of
entries in the same shape (e.g. the sample world's `SampleWorld.registry()` written to a
file). Pure apart from reading that file. Adding a county on a known CMS family is a
new entry here, not code.

An entry: id, name, province, city, county, admin_code, family (trs | ningxia | ucap |
hanweb | vsb | generic), hosts (host names; host:port for local portals), start_urls,
verified, local, hints. Hints the crawler reads: `proxy` (request.meta["proxy"]),
`delay` (seconds between requests to this portal's hosts), `encoding` (force a page
encoding, e.g. "gb18030"), `list_selector` (CSS around the report list); other keys are
kept as notes.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_REGISTRY = Path(__file__).with_name("portals.json")
REQUIRED = ("id", "family", "hosts", "start_urls")


class RegistryError(ValueError):
    """A registry entry the crawler cannot use; the message names the entry and the field."""


def load_registry(registry: list[dict] | str | Path | None = None) -> list[dict]:
    if registry is None:
        registry = DEFAULT_REGISTRY
    if isinstance(registry, (str, Path)):
        entries = json.loads(Path(registry).read_text(encoding="utf-8"))
        if isinstance(entries, dict) and "portals" in entries:
            entries = entries["portals"]
    else:
        entries = registry
    seen = set()
    out = []
    for n, entry in enumerate(entries):
        missing = [key for key in REQUIRED if not entry.get(key)]
        if missing:
            raise RegistryError(f"registry entry {n} ({entry.get('id', '?')}): missing {', '.join(missing)}")
        if entry["id"] in seen:
            raise RegistryError(f"registry entry {n}: duplicate id {entry['id']!r}")
        seen.add(entry["id"])
        entry = dict(entry)
        entry.setdefault("hints", {})
        entry["local"] = bool(entry.get("local"))
        out.append(entry)
    return out


def host_key(url: str, local: bool) -> str:
    """What "on the portal" means: host:port for local portals (all on 127.0.0.1),
    the host name alone for real ones."""
    parts = urlsplit(url)
    return (parts.netloc if local else (parts.hostname or "")).lower()


def on_portal(portal: dict, url: str) -> bool:
    local = portal.get("local", False)
    key = host_key(url, local)
    hosts = {(h if local else h.split(":")[0]).lower() for h in portal["hosts"]}
    return key in hosts


def portal_for_url(registry: list[dict], url: str) -> dict | None:
    for portal in registry:
        if on_portal(portal, url):
            return portal
    return None


def save_entry(path: Path, entry: dict) -> list[dict]:
    """Add `entry` to the registry file at `path` (created if missing), replacing an entry
    with the same id, and check the result loads. Returns the new registry."""
    path = Path(path)
    entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    entries = [e for e in entries if e.get("id") != entry["id"]] + [entry]
    load_registry(entries)  # a broken entry is refused before it is written
    path.write_text(json.dumps(entries, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return entries
