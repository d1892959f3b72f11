"""Chinese search words against the bigram index, in a real SQLite FTS5 table.

Through Datasette the same functions serve `?_search=` (tests/test_datasette.py); here
the cases a journalist types: two-character words, long phrases, words mixing Chinese and
digits (a pasted title), a single character, and FTS syntax typed as text.
"""

import sqlite3

import pytest

from archive.search import bigram_text, fts_query

DOCS = {
    1: "本年度依法收取罚款共计3万元。",
    2: "隆德县政府信息公开2021年度报告",
    3: "发生政府信息公开行政复议案件1件。",
    4: "第2条",
}


@pytest.fixture(scope="module")
def index():
    conn = sqlite3.connect(":memory:")
    conn.execute("create virtual table reports_fts using fts5(search_text, content='', tokenize='unicode61')")
    for rowid, text in DOCS.items():
        conn.execute("insert into reports_fts (rowid, search_text) values (?, ?)", (rowid, bigram_text(text)))
    yield conn
    conn.close()


def found(index, query: str) -> set[int]:
    return {row[0] for row in index.execute("select rowid from reports_fts where reports_fts match ?",
                                            (fts_query(query),))}


@pytest.mark.parametrize("query, expected", [
    ("罚款", {1}),                            # two characters inside a longer run
    ("复议", {3}),
    ("信息公开", {2, 3}),
    ("行政复议案件", {3}),
    ("公开2021", {2}),                        # Chinese followed by digits
    ("政府信息公开2021年度报告", {2}),           # a pasted title
    ("2021年", {2}),                          # ends in one character: a prefix
    ("第2", {4}),
    ("罚款 复议", set()),                      # every word must match
    ("罚款 3", {1}),
    ('"罚款" OR', set()),                     # an operator with nothing after it is text
    ("罚款 OR 复议", {1, 3}),                   # OR between two words
    ("信息公开 NOT 复议", {2}),                  # NOT between two words
    ("复议 OR 罚款 NOT 万元", {3}),
    ('"信息公开 2021"', {2}),                  # a quoted phrase: its words next to each other
    ('"公开 信息"', set()),
    ('"信息 公开"', {2, 3}),                   # a space inside Chinese joins, as Chinese is written
    ("OR 罚款", set()),                        # an operator first is a word ("or") too
    ("NOT", set()),
])
def test_search_words(index, query, expected):
    assert found(index, query) == expected


def test_a_word_that_is_not_there_finds_nothing(index):
    assert found(index, "征地拆迁") == set()


@pytest.mark.parametrize("query", ['"', "AND", "罚款 OR", "NEAR(", "*", "^罚款", "罚款 NOT", "OR OR", '"" OR ""', "(罚款"])
def test_fts_syntax_that_is_not_ours_never_errors(index, query):
    found(index, query)  # a MATCH syntax error would raise sqlite3.OperationalError


@pytest.mark.parametrize("query, texts, snippet", [
    ("罚款", ("标题", DOCS[1]), "本年度依法收取【罚款】共计3万元。"),
    ("复议 NOT 罚款", ("标题", DOCS[1], DOCS[3]), "发生政府信息公开行政【复议】案件1件。"),  # not the NOTed word
    ("隆德", ("隆德县" + "很长的标题" * 20,), "【隆德】" + ("县" + "很长的标题" * 20)[:36] + "…"),
    ("征地拆迁", ("标题", DOCS[1]), None),
])
def test_a_snippet_shows_the_first_text_that_matched_with_the_hit_marked(query, texts, snippet):
    from archive.search import search_snippet

    assert search_snippet(query, *texts) == snippet
