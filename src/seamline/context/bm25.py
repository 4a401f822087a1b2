"""FTS5's BM25 ranking of one collection, computed in memory: the SQLite store's keyword search.

FTS5 ranks every match of a query by calling `bm25()` on it, row by row, and a common
word matches thousands of chunks: 3.7 ms of a 10,000-chunk search went there, against
0.3 ms to find the matches. `KeywordIndex` holds a collection's postings (term -> chunk
rows and term frequencies) and chunk lengths in numpy arrays and scores a query with
FTS5's own formula (fts5_aux.c, `fts5Bm25Function`), in the same floating-point order,
so ids, order and scores are FTS5's (tests/context/test_bm25.py checks them against
`bm25()`):

    score = sum over the query's phrases of
        idf * (f * (k1 + 1)) / (f + k1 * (1 - b + b * D / avgdl))

with k1 = 1.2, b = 0.75; f the phrase's occurrences in the weighted column (`text`,
weight 1.0; `coll` weighs 0.0); D the row's tokens in all columns; avgdl and the IDF's
N over the whole FTS5 table (every collection, removed versions included: rows are
never deleted); idf = log((N - n + 0.5) / (n + 0.5)), floored at 1e-6 for a term in half
the rows or more (n: rows with the term in `text`).

Tokens come from FTS5 itself: chunk texts and query terms go through the same tokenizer
(`porter unicode61`, as migration 1 declares `ctx_fts`) in a private in-memory FTS5
table, and its `fts5vocab` table gives each token with its rows. That costs time in
proportion to the collection (not the whole index, as reading `ctx_fts`'s own vocabulary
would) and lets new chunks be added without a rebuild.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from seamline.context.ranking import chunk_mask

K1 = 1.2
B = 0.75
IDF_FLOOR = 1e-6  # FTS5's, for terms in half the rows or more (their log would be <= 0)
TOKENIZE = "porter unicode61"  # ctx_fts's tokenizer (migration 1): the two must agree
_TOKEN_CACHE = 4096  # query terms remembered with their tokens
# Chunks tokenized at once: the tokenizer's peak memory is ~2 KB a chunk, so ~65 MB
# for a full batch of 32,768 (20 MB at 10,000).
_BATCH = 32_768
_TOKENIZE_OPTION = re.compile(r"""\btokenize\s*=\s*(?:'([^']*)'|"([^"]*)")""", re.IGNORECASE)


def idf(rows: int, hits: int) -> float:
    """FTS5's IDF of a phrase found in `hits` of the index's `rows` rows."""
    value = math.log((rows - hits + 0.5) / (hits + 0.5))
    return value if value > 0.0 else IDF_FLOOR


def same_tokenizer(conn: sqlite3.Connection) -> bool:
    """Whether `ctx_fts` is declared (in sqlite_master) with TOKENIZE, the tokenizer this
    module tokenizes with: if not, tokens and so scores would differ from FTS5's."""
    found = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'ctx_fts'").fetchone()
    option = _TOKENIZE_OPTION.search(found[0]) if found and found[0] else None
    if option is None:
        return False
    declared = option.group(1) if option.group(1) is not None else option.group(2)
    return declared.split() == TOKENIZE.split()


def averages(conn: sqlite3.Connection) -> tuple[int, int] | None:
    """(rows, tokens in all columns) of `ctx_fts`: what `bm25()` reads for N and avgdl
    (`xRowCount`, `xColumnTotalSize(-1)`). FTS5 keeps them in the record with id 1 of its
    `_data` table: SQLite varints, the row count then one total per column. None if the
    record is not there (an empty or unfamiliar index): the caller then ranks with FTS5.
    The record's layout is FTS5's private business, so the caller also checks the row
    count against its own (`SQLiteContextStore._fts_averages`)."""
    found = conn.execute("SELECT block FROM ctx_fts_data WHERE id = 1").fetchone()
    if found is None or not found[0]:
        return None
    values = _varints(bytes(found[0]))
    if len(values) < 2:
        return None
    return values[0], sum(values[1:])


def _varints(data: bytes) -> list[int]:
    """SQLite's varints (big-endian, 7 bits a byte, the ninth byte all 8 bits)."""
    out, i = [], 0
    while i < len(data):
        value = 0
        for n in range(9):
            byte = data[i]
            i += 1
            if n == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        out.append(value)
    return out


class Tokenizer:
    """FTS5's tokenizer, through a private in-memory FTS5 table kept empty between uses."""

    def __init__(self) -> None:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        # An f-string of a constant: DDL takes no parameters.
        conn.execute(f"CREATE VIRTUAL TABLE scratch USING fts5(text, tokenize = '{TOKENIZE}')")
        conn.execute("CREATE VIRTUAL TABLE scratch_instance USING fts5vocab(scratch, 'instance')")
        conn.execute("CREATE VIRTUAL TABLE scratch_row USING fts5vocab(scratch, 'row')")
        self._conn = conn
        self._tokens: dict[str, tuple[str, ...]] = {}

    def close(self) -> None:
        self._conn.close()

    def tokens(self, term: str) -> tuple[str, ...]:
        """The tokens FTS5 makes of `term` ("running" -> ("run",); "snake_case" -> two)."""
        known = self._tokens.get(term)
        if known is None:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                conn.execute("INSERT INTO scratch (rowid, text) VALUES (1, ?)", (term,))
                rows = conn.execute("SELECT term FROM scratch_instance ORDER BY offset").fetchall()
            finally:
                conn.execute("ROLLBACK")  # empty again, for the next use
            known = tuple(t for (t,) in rows)
            if len(self._tokens) >= _TOKEN_CACHE:
                self._tokens.clear()
            self._tokens[term] = known
        return known

    def postings(self, texts: Sequence[str], first: int) -> tuple[_Segment, Any]:
        """The postings of `texts` as rows `first`, `first` + 1, ..., and each one's
        token count."""
        import numpy as np

        conn = self._conn
        conn.execute("BEGIN")
        try:
            conn.executemany(
                "INSERT INTO scratch (rowid, text) VALUES (?, ?)", enumerate(texts, first)
            )
            # Both vocabularies list terms in the index's order; the instances of a term
            # come by row, then offset. One string of row numbers parses in milliseconds,
            # where a Python tuple per instance (45 a chunk) took 400 ms at 10,000 chunks.
            (joined,) = conn.execute("SELECT group_concat(doc) FROM scratch_instance").fetchone()
            terms = conn.execute("SELECT term, cnt FROM scratch_row").fetchall()
        finally:
            conn.execute("ROLLBACK")
        docs = np.fromstring(joined, dtype=np.int64, sep=",") if joined else np.zeros(0, np.int64)
        counts = np.fromiter((c for _, c in terms), np.int64, len(terms))
        if int(counts.sum()) != len(docs):
            raise RuntimeError("fts5vocab's 'row' and 'instance' tables disagree")
        term_of = np.repeat(np.arange(len(terms)), counts)
        # One posting per (term, row): a run of equal (term, row) instances is its frequency.
        opens = np.ones(len(docs), bool)
        opens[1:] = (term_of[1:] != term_of[:-1]) | (docs[1:] != docs[:-1])
        starts = np.flatnonzero(opens)
        frequency = np.diff(np.append(starts, len(docs))).astype(np.float32)
        segment = _Segment(
            chunks=len(texts),
            terms={t: i for i, (t, _) in enumerate(terms)},
            starts=np.searchsorted(term_of[starts], np.arange(len(terms) + 1)),
            rows=docs[starts].astype(np.int32),
            frequency=frequency,
        )
        return segment, np.bincount(docs - first, minlength=len(texts))


@dataclass(slots=True)
class _Segment:
    """Postings of a batch of chunks, by term: rows[starts[t]:starts[t + 1]] hold term t."""

    chunks: int  # rows it covers
    terms: dict[str, int]
    starts: Any  # int64[terms + 1]
    rows: Any  # int32[postings], ascending within a term
    frequency: Any  # float32[postings]: occurrences in `text` (small integers: exact)

    def postings(self, token: str) -> tuple[Any, Any] | None:
        t = self.terms.get(token)
        if t is None:
            return None
        lo, hi = self.starts[t], self.starts[t + 1]
        return self.rows[lo:hi], self.frequency[lo:hi]


def _merge(segments: Sequence[_Segment]) -> _Segment:
    import numpy as np

    terms: dict[str, int] = {}
    term_of, rows, frequency = [], [], []
    for s in segments:
        ids = np.fromiter((terms.setdefault(t, len(terms)) for t in s.terms), np.int64)
        term_of.append(np.repeat(ids, np.diff(s.starts)))
        rows.append(s.rows)
        frequency.append(s.frequency)
    merged = np.concatenate(term_of)
    order = np.argsort(merged, kind="stable")  # stable: rows stay ascending (segment order)
    return _Segment(
        chunks=sum(s.chunks for s in segments),
        terms=terms,
        starts=np.searchsorted(merged[order], np.arange(len(terms) + 1)),
        rows=np.concatenate(rows)[order],
        frequency=np.concatenate(frequency)[order],
    )


@dataclass(slots=True)
class KeywordIndex:
    """One collection's chunks (every version ever added, ascending id) and postings."""

    revision: int = 0  # holds the chunks of versions added up to this revision
    ids: Any = None  # int64[n] chunk ids, ascending
    versions: Any = None  # int64[n] version row of each chunk
    lengths: Any = None  # float64[n] D: tokens in all columns
    segments: list[_Segment] = field(default_factory=list)
    _norm: tuple[float, Any] | None = None  # (avgdl, k1 * (1 - b + b * D / avgdl))
    _masked: tuple[Any, int, Any] | None = None  # (live, n, rows live in it)

    def __len__(self) -> int:
        return 0 if self.ids is None else len(self.ids)

    def extend(
        self,
        tokenizer: Tokenizer,
        chunks: Iterable[tuple[int, int, str]],
        other_tokens: int,
        revision: int,
    ) -> None:
        """Add chunks (id, version row, text), ids above those held, `_BATCH` at a time
        (texts are not kept). `other_tokens`: the tokens of a row's other columns (the
        collection's one `coll` token)."""
        pending = iter(chunks)
        while batch := list(islice(pending, _BATCH)):
            self._append(tokenizer, batch, other_tokens)
        self.revision = revision

    def _append(
        self, tokenizer: Tokenizer, batch: Sequence[tuple[int, int, str]], other_tokens: int
    ) -> None:
        import numpy as np

        ids = np.fromiter((c[0] for c in batch), np.int64, len(batch))
        if np.any(np.diff(ids) <= 0) or (self.ids is not None and ids[0] <= self.ids[-1]):
            raise ValueError("chunks must come in ascending id order, after those held")
        base = len(self)
        segment, counts = tokenizer.postings([c[2] for c in batch], base)
        lengths = counts.astype(np.float64) + other_tokens
        versions = np.fromiter((c[1] for c in batch), np.int64, len(batch))
        if self.ids is None:
            self.ids, self.versions, self.lengths = ids, versions, lengths
        else:
            self.ids = np.concatenate([self.ids, ids])
            self.versions = np.concatenate([self.versions, versions])
            self.lengths = np.concatenate([self.lengths, lengths])
        self._norm = self._masked = None
        segments = self.segments
        segments.append(segment)
        # Merged like a binary counter (each chunk is merged O(log n) times, segments
        # stay O(log n) apart from full ones), never past _BATCH chunks (memory).
        while (
            len(segments) >= 2
            and segments[-2].chunks <= 2 * segments[-1].chunks
            and segments[-2].chunks + segments[-1].chunks <= _BATCH
        ):
            segments[-2:] = [_merge(segments[-2:])]

    def top(
        self, phrases: Sequence[tuple[str, float]], avgdl: float, live: Any, k: int
    ) -> list[tuple[int, float]]:
        """The `k` best (chunk id, BM25 score) among chunks that have one of the phrases'
        tokens and whose version row is live in `live`, by score then id. `phrases`:
        (token, idf) of each query phrase, in the query's order (FTS5 sums them in it)."""
        import numpy as np

        n = len(self)
        if n == 0 or k <= 0:
            return []
        norm = self._normaliser(avgdl)
        scores = np.zeros(n)
        for token, weight in phrases:
            for segment in self.segments:
                found = segment.postings(token)
                if found is None:
                    continue
                rows, f = found
                f = f.astype(np.float64)
                # fts5Bm25Function's expression, operation for operation.
                scores[rows] += weight * ((f * (K1 + 1.0)) / (f + norm[rows]))
        # Every match scores above 0 (idf >= 1e-6, f >= 1), so > 0 means matched.
        hits = np.flatnonzero((scores > 0.0) & self._live_rows(live))
        if len(hits) > k:
            kth = np.partition(scores[hits], len(hits) - k)[len(hits) - k]
            hits = hits[scores[hits] >= kth]  # ties at the k-th score all stay, for the id order
        order = np.lexsort((hits, -scores[hits]))[:k]  # rows ascend with ids
        return [(int(self.ids[i]), float(scores[i])) for i in hits[order]]

    def _normaliser(self, avgdl: float) -> Any:
        if self._norm is None or self._norm[0] != avgdl:
            self._norm = (avgdl, K1 * (1 - B + B * self.lengths / avgdl))
        return self._norm[1]

    def _live_rows(self, live: Any) -> Any:
        cached = self._masked
        if cached is not None and cached[0] is live and cached[1] == len(self):
            return cached[2]
        mask = chunk_mask(self.versions, live)
        self._masked = (live, len(self), mask)
        return mask
