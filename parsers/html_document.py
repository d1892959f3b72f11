"""A detail page's HTML to a Document: metadata first, then the body without chrome.

Order matters: the head meta tags (ArticleTitle, PubDate, ContentSource…) and the 信息公开
table (索  引  号, 发布机构, 发布日期…) are read from the whole page before anything is
dropped. The body comes from a chain of steps (BODY_STEPS), each measurable alone with
`benchmarks/parse_accuracy.py --body-steps`: a known CMS selector (body_selectors.txt), the
smallest element holding the section headings, trafilatura's XML extraction (which keeps
tables), the whole page; the first step yielding all six section headings wins, else the
one yielding most. Chrome rules (chrome_patterns.txt) apply to whatever step won. Tables
are read from lxml with rowspan/colspan expanded, because correctness of every cell
matters more than which library found the body. Word-pasted markup is harmless here:
inline elements are joined without separators, so <span>1</span><span>2</span> reads 12. Pure.
"""

from __future__ import annotations

import re

from importlib import resources

import lxml.etree
import lxml.html
from lxml.cssselect import CSSSelector

from parsers.charset import decode_declared, declared_charsets
from parsers.document import Document, Heading, Paragraph, Table, expand_spans
from parsers.labels import clean_text, normalise_label, normalise_text
from parsers.sections import heading_hint, section_number

_META_NAMES = ("SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ArticleTitle", "PubDate",
               "ContentSource", "Keywords", "Description", "Url")
_INFO_LABELS = ("索引号", "发布机构", "发文机关", "发文字号", "文号", "成文日期", "发布日期", "公开日期",
                "发布时间", "主题分类", "有效性", "信息来源", "生成日期")
_DROP_TAGS = ("script", "style", "noscript", "iframe", "head", "template", "svg", "button", "select",
              "input", "textarea", "form", "object", "embed")
_BLOCK_TAGS = frozenset(("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section",
                         "article", "blockquote", "pre", "center", "dl", "dt", "dd", "header", "footer",
                         "nav", "aside", "main", "figure", "figcaption", "hr", "address", "tr", "td", "th",
                         "caption", "tbody", "thead", "tfoot"))
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """The page as text: its charset declarations (HTTP header, then meta) weighed by
    `charset.decode_declared`."""
    return decode_declared(data, declared_charsets(data, content_type))


def _text(element) -> str:
    """Inline text with block children and <br> separated by one space."""
    parts: list[str] = []

    def walk(node) -> None:
        if not isinstance(node.tag, str):
            if node.tail:
                parts.append(node.tail)
            return
        tag = node.tag.lower().split("}")[-1]
        if tag in _DROP_TAGS:
            if node.tail:
                parts.append(node.tail)
            return
        if tag in ("br", "p", "div", "li") and parts:
            parts.append(" ")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if node.tail:
            parts.append(node.tail)

    if element.text:
        parts.append(element.text)
    for child in element:
        walk(child)
    return clean_text("".join(parts))


def read_metadata(root) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip()
        content = (meta.get("content") or "").strip()
        for known in _META_NAMES:
            if name.lower() == known.lower() and content and known not in metadata:
                metadata[known] = content
    title = root.find(".//title")
    if title is not None and title.text_content().strip():
        metadata["title"] = normalise_text(title.text_content())
    # UCAP's <publishtime> is the date readers see; its PubDate meta is when the page was
    # last generated (页面生成时间), years later on a re-published site.
    for tag, key in (("ucaptitle", "ArticleTitle"), ("publishtime", "publishtime")):
        for element in root.iter(tag):
            text = normalise_text(element.text_content())
            if text and key not in metadata:
                metadata[key] = text
    # the 信息公开 table: letter-spaced labels, value in the same element or the next one
    for element in root.iter("td", "th", "span", "li", "div", "p", "label", "b", "strong", "dt", "dd", "em"):
        text = normalise_text(element.text_content())
        if not text or len(text) > 80:
            continue
        compact = normalise_label(text.split(":")[0].split("：")[0])
        for label in _INFO_LABELS:
            if label in metadata or compact != label:
                continue
            rest = re.split(r"[:：]", text, maxsplit=1)
            value = rest[1].strip() if len(rest) == 2 else ""
            if not value:
                sibling = element.getnext()
                value = normalise_text(sibling.text_content()) if sibling is not None else ""
            if value and len(value) <= 60:
                metadata[label] = value
    return metadata


def _own_rows(table) -> list:
    """The table's own <tr>s, not those of tables nested in its cells."""
    return [tr for tr in table.iter("tr") if next(tr.iterancestors("table"), None) is table]


def _is_layout_table(table) -> bool:
    """A table that lays out the page rather than holding data: a cell with long text, or a
    nested table of its own rows. A one- or two-row table inside a cell (Word wraps a label
    that way) is read as that cell's text."""
    for cell in table.iter("td", "th"):
        if len(cell.text_content()) > 300:
            return True
    return any(len(_own_rows(nested)) > 2 for nested in table.iterdescendants("table"))


def read_table(table) -> Table:
    rows = []
    for tr in _own_rows(table):
        row = []
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                continue
            row.append((_text(cell), _span(cell.get("rowspan")), _span(cell.get("colspan"))))
        if row:
            rows.append(row)
    return Table(expand_spans(rows))


def _span(value: str | None) -> int:
    match = re.match(r"\s*(\d+)", value or "")
    return int(match.group(1)) if match else 1


def blocks_from_element(body) -> list:
    """Headings, paragraphs and tables in reading order."""
    blocks: list = []
    line: list[str] = []
    heading_level = [0]

    def flush() -> None:
        text = clean_text("".join(line))
        line.clear()
        if text:
            if heading_level[0]:
                blocks.append(Heading(text, heading_level[0]))
            else:
                blocks.append(Paragraph(text))

    def walk(node) -> None:
        if not isinstance(node.tag, str):
            if node.tail:
                line.append(node.tail)
            return
        tag = node.tag.lower().split("}")[-1]
        if tag in _DROP_TAGS:
            if node.tail:
                line.append(node.tail)
            return
        if tag == "table" and not _is_layout_table(node):
            flush()
            table = read_table(node)
            if table.rows:
                blocks.append(table)
            if node.tail:
                line.append(node.tail)
            return
        if tag == "br":
            flush()
            if node.tail:
                line.append(node.tail)
            return
        block = tag in _BLOCK_TAGS or tag == "table"
        if block:
            flush()
        level = _HEADINGS.get(tag)
        if level:
            heading_level[0] = level
        if node.text:
            line.append(node.text)
        for child in node:
            walk(child)
        if block:
            flush()
        if level:
            heading_level[0] = 0
        if node.tail:
            line.append(node.tail)

    walk(body)
    flush()
    return blocks


_SECTION_HINT = heading_hint()

# How the report body is found, in order; each step can be forced alone (benchmarks measure them).
BODY_STEPS = ("selector", "headings", "trafilatura", "whole_page")


def load_body_selectors() -> tuple[CSSSelector, ...]:
    """The CSS selectors of report bodies by CMS family (body_selectors.txt), compiled when
    the module loads: a bad selector in the data file fails there, not silently per page."""
    text = resources.files("parsers").joinpath("body_selectors.txt").read_text("utf-8")
    return tuple(CSSSelector(line.strip()) for line in text.splitlines()
                 if line.strip() and not line.lstrip().startswith("#"))


BODY_SELECTORS = load_body_selectors()


def body_by_selector(root):
    """The first element matching a known CMS body selector (body_selectors.txt) with text."""
    for selector in BODY_SELECTORS:
        for element in selector(root):
            if len(element.text_content().strip()) > 50:
                return element
    return None


def body_by_headings(root):
    """The smallest element holding every section heading found on the page."""
    marks = [element for element in root.iter()
             if isinstance(element.tag, str) and element.text and _SECTION_HINT.search(element.text)]
    if not marks:
        return None
    ancestors = [set(mark.iterancestors()) | {mark} for mark in marks]
    common = set.intersection(*ancestors)
    for element in marks[0].iterancestors():
        if element in common:
            return element
    return None


def trafilatura_blocks(html_text: str) -> list:
    """Blocks from trafilatura's XML output (it keeps tables, padding rowspan/colspan
    positions with empty cells itself, so spans are not expanded again here)."""
    import trafilatura

    xml = trafilatura.extract(html_text, output_format="xml", include_tables=True, include_comments=False,
                              favor_recall=True)
    if not xml:
        return []
    root = lxml.etree.fromstring(xml.encode("utf-8"), parser=lxml.etree.XMLParser(recover=True))
    blocks: list = []
    main = root.find(".//main") if root.find(".//main") is not None else root
    for element in main:
        tag = element.tag
        if tag == "table":
            rows = []
            for row in element.iter("row"):
                rows.append([(normalise_text("".join(cell.itertext())), 1, 1) for cell in row.iter("cell")])
            if rows:
                blocks.append(Table(expand_spans(rows)))
        elif tag == "head":
            blocks.append(Heading(normalise_text("".join(element.itertext()))))
        else:
            text = normalise_text("".join(element.itertext()))
            if text:
                blocks.append(Paragraph(text))
    return blocks


def _sections_found(blocks: list) -> int:
    """How many of the six section headings a candidate body holds (its quality score)."""
    numbers = set()
    for block in blocks:
        if isinstance(block, Table):
            for row in block.rows:
                texts = {cell.text for cell in row if cell.text.strip()}
                if len(texts) == 1:
                    numbers.add(section_number(texts.pop()))
        else:
            numbers.add(section_number(block.text))
    numbers.discard(None)
    return len(numbers)


def _step_blocks(step: str, root, text: str) -> list:
    if step == "selector":
        body = body_by_selector(root)
        return blocks_from_element(body) if body is not None else []
    if step == "headings":
        body = body_by_headings(root)
        return blocks_from_element(body) if body is not None else []
    if step == "trafilatura":
        return trafilatura_blocks(text)
    page = root.find("body")
    return blocks_from_element(page if page is not None else root)


def document_from_html(data: bytes, url: str = "", content_type: str | None = None,
                       steps: tuple[str, ...] = BODY_STEPS) -> Document:
    """Metadata from the whole page, then the body by the first of `steps` that yields all
    six section headings (else the step that yields most, earliest on a tie)."""
    document = Document()
    text = decode_html(data, content_type)
    try:
        root = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as error:
        document.failed = True
        document.problems.append(f"HTML not parseable: {error}")
        return document
    document.metadata = read_metadata(root)
    if url:
        document.metadata["url"] = url
    best: tuple[int, str, list] | None = None
    for step in steps:
        try:
            blocks = _step_blocks(step, root, text)
        except Exception as error:  # noqa: BLE001 - one failing step must not stop the chain
            document.problems.append(f"body step {step} failed: {type(error).__name__}")
            continue
        if not blocks:
            continue
        score = _sections_found(blocks)
        if best is None or score > best[0]:
            best = (score, step, blocks)
        if score == 6:
            break
    if best is not None:
        document.blocks = best[2]
        document.metadata["body_found_by"] = best[1]
    return document
