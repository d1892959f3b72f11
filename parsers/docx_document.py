"""A .docx file to a Document with python-docx, paragraphs and tables in body order.

python-docx repeats a merged cell in every grid position it covers; the repeats are marked
`spanned` so a label or number is read once. Heading styles become Headings. Pure.
"""

from __future__ import annotations

import io

from parsers.document import Cell, Document, Heading, Paragraph, Table, oversized_zip, raised_by_input
from parsers.labels import clean_text


def document_from_docx(data: bytes) -> Document:
    document = Document()
    too_large = oversized_zip(data)
    if too_large:
        document.failed = True
        document.problems.append(f"DOCX {too_large}")
        return document
    try:
        import docx
        from docx.table import Table as DocxTable
        from docx.text.paragraph import Paragraph as DocxParagraph

        word = docx.Document(io.BytesIO(data))
        body = word.element.body
        for child in body.iterchildren():
            tag = child.tag.split("}")[-1]
            if tag == "p":
                paragraph = DocxParagraph(child, word)
                text = clean_text(paragraph.text)
                if not text:
                    continue
                style = (paragraph.style.name if paragraph.style is not None else "") or ""
                if style.lower().startswith("heading") or style.lower() == "title":
                    level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
                    document.blocks.append(Heading(text, level))
                else:
                    document.blocks.append(Paragraph(text))
            elif tag == "tbl":
                table = DocxTable(child, word)
                seen: set = set()  # the <w:tc> elements themselves, kept alive
                rows = []
                for row in table.rows:
                    cells = []
                    for cell in row.cells:
                        key = cell._tc
                        cells.append(Cell(clean_text(cell.text.replace("\n", "")), spanned=key in seen))
                        seen.add(key)
                    rows.append(cells)
                if rows:
                    document.blocks.append(Table(rows))
        title = word.core_properties.title
        if title and title.strip():
            document.metadata["ArticleTitle"] = title.strip()
    except Exception as error:  # noqa: BLE001 - a broken zip/XML is bad input, not a bug
        if not raised_by_input(error):
            raise  # our bug: parsers.parse reports it as a parser error, not as a corrupt file
        document.failed = True
        document.blocks = []
        document.problems.append(f"DOCX unreadable: {type(error).__name__}: {str(error)[:120]}")
    return document
