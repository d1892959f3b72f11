"""The crawler's page objects on saved real portal pages (tests/fixtures/real/pages/),
web-poet style: each page with its provenance and the output a person read off it.

The expected links were read by eye from the pages (report titles, pager, chrome) before
the rules were changed to meet them; a fixture whose page object output moves fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawler import linkrules
from crawler.families import family_for
from parsers import parse

PAGES = Path(__file__).parent / "fixtures" / "real" / "pages"
EXPECTED = sorted(PAGES.glob("*.expected.json"))


def fixture(path: Path) -> tuple[dict, HtmlResponse]:
    expected = json.loads(path.read_text(encoding="utf-8"))
    html = path.with_name(path.name.replace(".expected.json", ".html"))
    return expected, HtmlResponse(expected["url"], body=html.read_bytes(), encoding="utf-8")


def test_every_real_page_has_its_provenance():
    for path in EXPECTED:
        provenance = json.loads(path.with_name(path.name.replace(".expected.json", ".provenance.json"))
                                .read_text(encoding="utf-8"))
        assert provenance["site"] and provenance["fetched_via"] and provenance["repository"], path.name
    assert {json.loads(p.read_text(encoding="utf-8"))["family"] for p in EXPECTED} >= {"trs", "ucap", "generic"}


@pytest.mark.parametrize("path", [p for p in EXPECTED if json.loads(p.read_text(encoding="utf-8"))["kind"] != "detail"],
                         ids=lambda p: p.name.split(".")[0])
def test_list_and_home_pages_yield_exactly_the_links_read_off_them(path):
    expected, response = fixture(path)
    page = family_for(expected["family"]).parse_list(response, expected["start_urls"])
    assert [[link.text, link.url] for link in page.reports] == expected["reports"]
    assert [[link.text, link.url] for link in page.columns] == expected["columns"]
    assert [link.url for link in page.next_pages] == expected["next_pages"]
    assert [[link.text, link.url] for link in page.platforms] == expected["platforms"]


@pytest.mark.parametrize("path", [p for p in EXPECTED if json.loads(p.read_text(encoding="utf-8"))["kind"] == "detail"],
                         ids=lambda p: p.name.split(".")[0])
def test_detail_pages_give_the_date_readers_see(path):
    expected, response = fixture(path)
    report = parse(response.body, expected["url"], "text/html")
    assert report.title == expected["title"]
    assert str(report.published) == expected["published"]
    assert report.metadata["published_from"] == expected["published_from"]
    assert linkrules.is_report_title(report.title) == expected["is_report_title"]
