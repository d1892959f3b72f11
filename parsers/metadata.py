"""What a report says about itself: title, agency, level, year and publication date.

Read from a Document's blocks and page metadata; the report builder calls these and
nothing here knows about tables. Pure functions over strings.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from parsers.document import Block, Document, Table
from parsers.labels import clean_text, normalise_text

YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_TITLE_TAIL = re.compile(r"(?:政府)?(?:信息公开|政务公开)")


def parse_date(text: str | None) -> date | None:
    match = _DATE_RE.search(normalise_text(text or ""))
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_DATE_RE = re.compile(r"([〇○零O一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月"
                         r"\s*([一二三四五六七八九十]{1,3})\s*日")
_ANY_DATE = (r"(?:(?:19|20)\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?"
             r"|[〇○零O一二三四五六七八九]{4}\s*年\s*[一二三四五六七八九十]{1,3}\s*月\s*[一二三四五六七八九十]{1,3}\s*日)")
# 发布日期：2025年1月20日 anywhere in the text
_LABELLED_DATE_RE = re.compile(r"(?:发布日期|公开日期|发布时间|印发日期)\s*[:：]?\s*(" + _ANY_DATE + ")")
# a signature line: at most a short name (no sentence punctuation) then the date, nothing after
_SIGNATURE_RE = re.compile(r"^[^。，,；;：:！？!?]{0,40}?\s*(" + _ANY_DATE + r")\s*$")
CLOSING_BLOCKS = 6  # how many of the last text blocks count as the closing lines


def _cn_small_number(text: str) -> int:
    """一..九, 十, 十二, 二十, 三十一 -> int."""
    if "十" not in text:
        return _CN_DIGITS[text]
    tens, _, units = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)


def parse_any_date(text: str | None) -> date | None:
    """2025年1月20日, 2025-01-20, 2025/1/20 or 二〇二五年一月二十日 -> date."""
    found = parse_date(text)
    if found:
        return found
    match = _CN_DATE_RE.search(normalise_text(text or ""))
    if not match:
        return None
    try:
        year = int("".join(str(_CN_DIGITS[ch]) for ch in match.group(1)))
        return date(year, _cn_small_number(match.group(2)), _cn_small_number(match.group(3)))
    except (KeyError, ValueError):
        return None


def published_in_text(blocks: list[Block], year: int | None) -> tuple[date | None, str | None]:
    """The publication date the report itself prints, and where it was found.

    A `发布日期：…` statement anywhere (a date after the reporting year), else the signature
    date: the last date standing alone (or after the agency's name) on one of the closing
    lines, if it falls in year + 1. Unknown year: no signature date is trusted. Dates in
    sentences (本报告统计数据从2024年1月1日至…) never count.
    """
    texts = [normalise_text(block.text) for block in blocks if not isinstance(block, Table)]
    # a page's 信息公开 box, printed with its borders, is a table: its cells count too
    plain = iter(texts)
    labelled = [next(plain) if not isinstance(block, Table) else
                " ".join(normalise_text(cell.text) for row in block.rows for cell in row) for block in blocks]
    for text in labelled:
        match = _LABELLED_DATE_RE.search(text)
        if match:
            found = parse_any_date(match.group(1))
            if found and (year is None or found.year > year):
                return found, "text 发布日期"
    if year is None:
        return None, None
    for text in reversed(texts[-CLOSING_BLOCKS:]):
        for line in reversed(text.split("\n")):
            match = _SIGNATURE_RE.match(line.strip())
            if match:
                found = parse_any_date(match.group(1))
                if found and found.year == year + 1:
                    return found, "signature line"
    return None, None


def agency_from_title(title: str) -> str | None:
    """中宁县徐套乡 2024 年政府信息公开工作年度报告 -> 中宁县徐套乡 (人民政府 kept as printed)."""
    title = normalise_text(title).replace("《", "").replace("》", "")
    match = re.match(r"^(.*?)\s*(?:19|20)\d{2}\s*年度?", title)
    if match and match.group(1).strip(" :：,，-"):
        agency = match.group(1).strip(" :：,，-")
        agency = re.sub(r"(关于)$", "", agency).strip()
        return agency or None
    match = re.match(r"^\s*(?:19|20)\d{2}\s*年度?\s*(.*?)\s*(?:政府信息公开|政务公开|信息公开)", title)
    if match and match.group(1).strip():
        return match.group(1).strip()
    match = _TITLE_TAIL.search(title)
    head = title[: match.start()].strip() if match else ""
    if head and not re.fullmatch(r"(?:19|20)\d{2}\s*年度?", head):  # a year alone names no agency
        return head
    return None


def level_of(agency: str | None) -> str:
    if not agency:
        return "unknown"
    name = re.sub(r"人民政府$", "", agency)
    if re.search(r"(街道办事处|街道办|街道)$", agency):
        return "street"
    if re.search(r"[乡镇]$", name) or re.search(r"(苏木)$", name):
        return "township"
    if re.search(r"(局|委员会|委|办公室|办|中心|院|队|所|站|厅|署|会|处|馆|社|部)$", name):
        return "department"
    if re.search(r"[县区市旗州盟]$", name):
        return "county"
    return "unknown"


# A sentence that mentions the report ("现将…年度报告发布如下") is not its title.
_NOT_A_TITLE = re.compile(r"^(现将|根据|按照|依据|关于印发)|如下|[。；]")


def find_title(document: Document, preamble: list[Block], blocks: list[Block]) -> str | None:
    """The report's title: the page's ArticleTitle when it names a report (the CMS field
    is what the publisher typed as the title), else the first short line that does."""
    article_title = normalise_text(document.metadata.get("ArticleTitle") or "")
    if "报告" in article_title:
        return article_title
    candidates = preamble + blocks[:5]
    for index, block in enumerate(candidates):
        text = clean_text(block.text).strip("# *") if not isinstance(block, Table) else ""
        if "报告" in text and len(text) <= 80 and not _NOT_A_TITLE.search(text):
            before = candidates[index - 1] if index else None
            head = clean_text(before.text).strip("# *") if before is not None and not isinstance(before, Table) else ""
            # A title set on two lines: the agency above "2024 年政府信息公开工作年度报告"
            if (not agency_from_title(text) and head and len(head) <= 30 and not _NOT_A_TITLE.search(head)
                    and not re.search(r"[，,：:]", head) and agency_from_title(f"{head} {text}")):
                return f"{head} {text}"
            return text
    title = article_title or document.metadata.get("title")
    return normalise_text(title) if title else None


# --- what identifies a report ---------------------------------------------------------


def normalise_agency(agency: str) -> str:
    """The agency name as it identifies a report: NFKC, no spaces or punctuation, and the
    suffix 人民政府/办事处 dropped (a page says 隆德县城关镇人民政府, its PDF 隆德县城关镇)."""
    name = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", agency or ""))
    return re.sub(r"(人民政府|办事处)$", "", name)


def agency_id(portal_id: str | None, agency: str | None, county: str | None = None) -> str | None:
    """One agency across years, whatever its name's variant: normalise_agency, then without
    a leading 中共 and without the portal's county name in front (新堡镇 and 中宁县新堡镇人民政府
    are one body on 中宁's portal); the county's own government keeps its name. None when
    the parse could not tell the agency."""
    name = normalise_agency(agency or "")
    name = re.sub(r"^中共", "", name)
    place = normalise_agency(county or "")
    if place and name.startswith(place) and len(name) > len(place):
        name = name[len(place):]
    return f"{portal_id or ''}|{name}" if name else None


def split_agency_id(agency_id: str) -> tuple[str, str]:
    """(portal_id, name) of an agency_id."""
    portal, _, name = agency_id.partition("|")
    return portal, name


def report_key(portal_id: str | None, agency: str | None, year: int | None) -> str | None:
    """Stable identity of a report across forms and versions; None when the parse could
    not tell agency or year."""
    if not agency or not year or not normalise_agency(agency):
        return None
    return f"{portal_id or ''}|{normalise_agency(agency)}|{int(year)}"
