"""The project's shape, checked: rooms look down only, no module reaches for another's
private names, the README's schema tables name the columns the schema has, and an error in
our own code is never reported as bad input."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Who may import whom: the CLI calls the rooms, the crawler writes through archive/, archive/
# may call parsers/, parsers/ calls nobody. sample_portals is the test world: it may read
# the parsers' template, nothing reads it but tests, benchmarks and the demo.
MAY_IMPORT = {
    "parsers": {"parsers"},
    "archive": {"archive", "parsers"},
    "crawler": {"crawler", "archive", "parsers"},
    "sample_portals": {"sample_portals", "parsers"},
    "ogi": {"ogi", "crawler", "archive", "parsers", "sample_portals"},
}


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in a file, lazy ones inside functions included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


@pytest.mark.parametrize("room", sorted(MAY_IMPORT))
def test_rooms_look_down_only_and_take_no_private_names(room):
    for path in sorted((REPO / room).rglob("*.py")):
        for module, names in imports(path):
            top = module.split(".")[0]
            if top in MAY_IMPORT:
                assert top in MAY_IMPORT[room], f"{path.relative_to(REPO)} imports {module}"
                if top != room:
                    private = [name for name in names if name.startswith("_")]
                    assert not private, f"{path.relative_to(REPO)} imports private {private} from {module}"


def documented_columns(body: str) -> set[str]:
    """The column names of a README table's first cells (`a, b`; `section_1 … section_6`)."""
    names = set()
    for line in body.splitlines():
        for name in line.split("|")[1].split(","):
            name = name.strip(" `")
            span = re.fullmatch(r"(\w+?)(\d+) … \1(\d+)", name)
            if span:
                names.update(f"{span[1]}{n}" for n in range(int(span[2]), int(span[3]) + 1))
            else:
                names.add(name)
    return names


def test_the_readme_documents_every_column_of_the_tables_it_describes(tmp_path):
    """Each `### name — …` table of the README lists exactly the columns the schema makes."""
    from archive.schema import open_db

    db = open_db(tmp_path / "ogi.db")
    readme = (REPO / "README.md").read_text("utf-8")
    sections = re.findall(r"^### (\w+) — .*?\n\n\| column \| meaning \|\n\|---\|---\|\n(.*?)\n\n", readme,
                          re.S | re.M)
    assert len(sections) >= 5
    try:
        for table, body in sections:
            actual = {column[0] for column in db.execute(f"select * from [{table}] limit 0").description}
            documented = documented_columns(body)
            assert documented == actual, (table, sorted(documented ^ actual))
    finally:
        db.conn.close()


def test_a_bug_in_our_reader_is_a_parser_error_not_a_corrupt_file(monkeypatch):
    """A truncated PDF is bad input (`PDF unreadable`); a fault in our own reading code is
    reported as what it is, by the one catch-all at the parser's edge."""
    pytest.importorskip("sample_portals.render")
    from sample_portals import portals
    from sample_portals.render import render
    from sample_portals.reports import generate_reports

    import parsers.pdf_document

    pdf = render(generate_reports(2025, 1, portals.PORTALS)[0], "pdf")
    truncated = parsers.parse(pdf[: len(pdf) // 2], name="r.pdf")
    assert truncated.status == "failed" and truncated.problems[0].startswith("PDF unreadable")
    monkeypatch.setattr(parsers.pdf_document, "SCANNED_CHARS_PER_PAGE", None)  # our code now raises
    buggy = parsers.parse(pdf, name="r.pdf")
    assert buggy.status == "failed" and buggy.problems[0].startswith("parser error: TypeError")
    assert not any("corrupt" in problem for problem in buggy.problems)
