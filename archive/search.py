"""Chinese full-text search over reports: overlapping character bigrams in plain FTS5.

Pure functions, no I/O. The loader indexes `bigram_text(title + agency + sections)` in
the contentless FTS5 table `reports_fts`; the Datasette plugin replaces the `escape_fts`
SQL function Datasette's table view wraps around `?_search=` with `fts_query`, so the
search box, `?_search=` and `?_search_search_text=` all search bigrams.

Why bigrams: FTS5's unicode61 tokenizer keeps a run of Chinese characters as one token
(so 罚款 inside 收取罚款共计 never matches) and the trigram tokenizer cannot match words
shorter than three characters (公开, 罚款, 复议). Indexing every pair of neighbouring
characters, and turning a query word into the phrase of its pairs, finds words of any
length >= 2; a one-character query becomes a prefix query on the pairs, and each run's last
character is indexed on its own so a character at the end of a run is found too.
"""

from __future__ import annotations

import re
import unicodedata

# A run of Han characters (with the CJK extension A block and compatibility ideographs),
# or a run of letters and digits of any other script.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(f"([{_HAN}]+)|([^\\W_{_HAN}]+)")


def _normalise(text: str) -> str:
    """Full-width digits and letters to half-width, lower case, as for the query."""
    return unicodedata.normalize("NFKC", text or "").lower()


def bigram_tokens(text: str) -> list[str]:
    """The tokens indexed for `text`: Han runs as overlapping bigrams plus the run's last
    character; other words (numbers, Latin) whole."""
    tokens: list[str] = []
    for match in _RUN.finditer(_normalise(text)):
        han, word = match.groups()
        if han:
            tokens.extend(han[i : i + 2] for i in range(len(han) - 1))
            tokens.append(han[-1])
        else:
            tokens.append(word)
    return tokens


def bigram_text(*parts: str | None) -> str:
    """The `search_text` stored in the index: tokens separated by spaces."""
    return " ".join(token for part in parts if part for token in bigram_tokens(part))


def _term_phrase(term: str) -> str | None:
    """One whitespace-separated query word as one FTS5 phrase of the tokens the index holds
    for it: each Han run's bigrams, its last character where another run follows (the
    index puts it there: 公开2021 is indexed 公开 开 2021), other words whole. A word ending
    in a single Han character ends in a prefix token (年 matches 年度 and a closing 年)."""
    runs = list(_RUN.finditer(_normalise(term)))
    tokens: list[str] = []
    prefix = False
    for position, match in enumerate(runs):
        han, word = match.groups()
        last = position == len(runs) - 1
        if han:
            tokens.extend(han[i : i + 2] for i in range(len(han) - 1))
            if not last:
                tokens.append(han[-1])
            elif len(han) == 1:
                tokens.append(han)
                prefix = True
        else:
            tokens.append(word)
    if not tokens:
        return None
    return '"' + " ".join(tokens) + '"' + (" *" if prefix else "")


def fts_query(query: str | None) -> str:
    """A user's search words as an FTS5 MATCH expression over `bigram_text`.

    Every word must match (implicit AND); quotes and FTS operators typed by the user are
    treated as text, like Datasette's own escaped search mode. An empty query matches
    nothing rather than erroring.
    """
    phrases = [phrase for term in (query or "").split() if (phrase := _term_phrase(term))]
    if not phrases:
        return '""'
    return " AND ".join(phrases)
