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


OPERATORS = ("OR", "NOT")  # typed in capitals between two words, as in FTS5 itself
_QUOTED = re.compile(r'"([^"]*)"|(\S+)')


def parse_query(query: str | None) -> list[tuple[str, str]]:
    """(operator, operand) pairs in order: operator AND, OR or NOT joins the operand to what
    came before (the first operand's is AND). An operand is one word or a "quoted phrase".
    OR and NOT count only between two operands; anywhere else, and any other FTS syntax
    (NEAR, *, ^, parentheses, an unpaired quote), they are searched as text."""
    items: list[str | tuple[str]] = []
    text = query or ""
    if text.count('"') % 2:
        text = text.replace('"', " ")  # an unpaired quote is no phrase
    for quoted, word in _QUOTED.findall(text):
        items.append((quoted,) if quoted or word == "" else word)
    parsed: list[tuple[str, str]] = []
    pending = "AND"
    for position, item in enumerate(items):
        if isinstance(item, str) and item in OPERATORS and parsed and position + 1 < len(items) \
                and not (isinstance(items[position + 1], str) and items[position + 1] in OPERATORS):
            pending = item
            continue
        parsed.append((pending, item[0] if isinstance(item, tuple) else item))
        pending = "AND"
    return parsed


def fts_query(query: str | None) -> str:
    """A user's search as an FTS5 MATCH expression over `bigram_text`.

    Every word must match (implicit AND); `OR` and `NOT` typed between two words, and
    "quoted phrases" (the words next to each other), work as in FTS5; any other FTS syntax
    a user types is treated as text, like Datasette's own escaped search mode. An empty
    query matches nothing rather than erroring.
    """
    parts: list[str] = []
    for operator, operand in parse_query(query):
        phrase = _phrase_of_words(operand)
        if phrase is None:
            continue
        parts.append(phrase if not parts else f"{operator} {phrase}")
    if not parts:
        return '""'
    return " ".join(parts)


def _phrase_of_words(words: str) -> str | None:
    """A quoted phrase of several words: Chinese is written without spaces, so a space
    between two Han characters joins them ("信息 公开" is 信息公开); other words stay words,
    all of it one FTS5 phrase (政府信息公开 2021 matches 政府信息公开2021年)."""
    return _term_phrase(re.sub(rf"(?<=[{_HAN}])\s+(?=[{_HAN}])", "", words))


SNIPPET_CHARS = 36  # on each side of the first hit
SNIPPET_MARKS = ("【", "】")


def search_snippet(query: str | None, *texts: str | None) -> str | None:
    """Where the search matched: the first of `texts` (title, then sections 1-6) holding a
    word of `query` that was not NOTed, as "…text 【word】 text…" around its first hit."""
    words = [_normalise(operand) for operator, operand in parse_query(query) if operator != "NOT"]
    words = [word for word in words if word.strip()]
    for text in texts:
        found_in = _normalise(text or "")
        # quoted as printed (NFKC would turn ，into ,) wherever the positions still agree
        plain = text if text and len(text) == len(found_in) else found_in
        hits = [(found_in.find(word), word) for word in words if word in found_in]
        if not hits:
            continue
        start, word = min(hits)
        left, right = max(0, start - SNIPPET_CHARS), min(len(plain), start + len(word) + SNIPPET_CHARS)
        return ("…" if left else "") + plain[left:start] + SNIPPET_MARKS[0] + plain[start:start + len(word)] \
            + SNIPPET_MARKS[1] + plain[start + len(word):right] + ("…" if right < len(plain) else "")
    return None
