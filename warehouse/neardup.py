"""Near-duplicate documents: MinHash over word shingles, LSH bands indexed in DuckDB.

Each document of at least MIN_WORDS words gets a MinHash signature (NUM_PERM 32-bit minima of
hashed 3-word shingles) and BANDS band buckets. A batch finds its candidates with one SQL join of
its buckets against `doc_lsh_bands` (never a scan of all documents in Python), keeps the pairs
whose signatures agree on at least THRESHOLD of their positions (estimated Jaccard similarity)
and marks the later document of each pair `near_duplicate_of` the earliest one it matches.
"Earlier" means: own documents first, then first fetched, then first published, then doc_id.
"""

from __future__ import annotations

import logging
import re
import zlib

import duckdb
import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

SHINGLE_WORDS = 3
MIN_WORDS = 25  # shorter texts ("Thanks, great post!") are never flagged
NUM_PERM = 128
BANDS = (
    32  # 32 bands x 4 rows: a pair with Jaccard 0.6 becomes a candidate with p = 0.99, 0.05 with p = 0.0002
)
ROWS = NUM_PERM // BANDS
THRESHOLD = 0.6  # estimated Jaccard of the shingle sets; distinct posts on one topic score < 0.05
_PRIME = np.uint64((1 << 61) - 1)
_MASK = np.uint64(0xFFFFFFFF)
_RNG = np.random.default_rng(20260601)  # fixed: signatures must stay comparable across runs
_A = _RNG.integers(1, 1 << 32, NUM_PERM, dtype=np.uint64)
_B = _RNG.integers(0, 1 << 32, NUM_PERM, dtype=np.uint64)
_CHUNK = 4096
_WORD = re.compile(r"\w+")

SIMILARITY_SQL = "list_sum(list_transform(list_zip(ma.sig, mb.sig), lambda x: (x[1] = x[2])::INTEGER))"


def shingles(text: str) -> set[str]:
    """The distinct 3-word shingles of a text (lower-cased words); empty below MIN_WORDS words."""
    words = _WORD.findall(text.casefold())
    if len(words) < MIN_WORDS:
        return set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature (NUM_PERM uint32) of a text, or None when it is too short."""
    grams = shingles(text)
    if not grams:
        return None
    hashes = np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams))
    result = np.full(NUM_PERM, _MASK, dtype=np.uint64)
    for start in range(0, len(hashes), _CHUNK):  # a*x + b < 2**64 for 32-bit a, b, x: no overflow
        block = (hashes[start : start + _CHUNK, None] * _A + _B) % _PRIME & _MASK
        result = np.minimum(result, block.min(axis=0))
    return result.astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(a == b))


def band_buckets(sig: np.ndarray, kind: str = "post") -> np.ndarray:
    """One signed 64-bit bucket per band (FNV-style mix of the band's rows), separate per kind."""
    rows = sig.astype(np.uint64).reshape(BANDS, ROWS)
    mixed = np.arange(BANDS, dtype=np.uint64) + np.uint64(
        0xCBF29CE484222325 ^ zlib.crc32(kind.encode("utf-8"))
    )
    with np.errstate(over="ignore"):
        for r in range(ROWS):
            mixed = (mixed ^ rows[:, r]) * np.uint64(0x100000001B3)
    return mixed.view(np.int64)


def _index_frames(changed: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    sig_rows, band_rows = [], []
    for doc_id, kind, text in changed[["doc_id", "kind", "text"]].itertuples(index=False):
        sig = signature(text or "")
        if sig is None:
            continue
        sig_rows.append((doc_id, sig.tolist()))
        band_rows.extend((doc_id, band, int(bucket)) for band, bucket in enumerate(band_buckets(sig, kind)))
    return (
        pd.DataFrame(sig_rows, columns=["doc_id", "sig"]),
        pd.DataFrame(band_rows, columns=["doc_id", "band", "bucket"]),
    )


def link_near_duplicates(con: duckdb.DuckDBPyConnection, changed: pd.DataFrame, replace: bool = False) -> int:
    """Index new or edited documents (doc_id, kind, text) and set `near_duplicate_of`; inside a transaction.

    Returns how many of `changed` are near duplicates of an earlier document. Set `replace` when
    some of them were indexed before (edited documents), so their old signature is dropped first.
    """
    if changed.empty:
        return 0
    sigs, bands = _index_frames(changed)
    con.register("nd_changed", changed[["doc_id"]])
    con.register("nd_bands", bands.astype({"band": "int16", "bucket": "int64"}))
    if replace:
        con.execute("DELETE FROM doc_minhash WHERE doc_id IN (SELECT doc_id FROM nd_changed)")
        con.execute("DELETE FROM doc_lsh_bands WHERE doc_id IN (SELECT doc_id FROM nd_changed)")
    if not sigs.empty:
        con.register("nd_sigs", sigs)
        con.execute("INSERT INTO doc_minhash (doc_id, sig) SELECT doc_id, sig::UINTEGER[] FROM nd_sigs")
        con.execute(
            "INSERT INTO doc_lsh_bands (band, bucket, doc_id) SELECT band, bucket, doc_id FROM nd_bands"
        )
        con.unregister("nd_sigs")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE nd_links AS
        WITH cand AS MATERIALIZED (
            SELECT DISTINCT n.doc_id AS a, o.doc_id AS b
            FROM nd_bands n JOIN doc_lsh_bands o ON o.band = n.band AND o.bucket = n.bucket AND o.doc_id <> n.doc_id
        ), pairs AS MATERIALIZED (
            SELECT c.a, c.b FROM cand c
            JOIN doc_minhash ma ON ma.doc_id = c.a JOIN doc_minhash mb ON mb.doc_id = c.b
            WHERE {SIMILARITY_SQL} >= ?
        ), ranked AS (
            SELECT doc_id, row_number() OVER (ORDER BY own DESC, fetched_at, published_at NULLS LAST, doc_id) AS rk
            FROM documents WHERE doc_id IN (SELECT a FROM pairs UNION SELECT b FROM pairs)
        ), edges AS (
            SELECT CASE WHEN ra.rk > rb.rk THEN p.a ELSE p.b END AS later,
                   CASE WHEN ra.rk > rb.rk THEN p.b ELSE p.a END AS earlier, least(ra.rk, rb.rk) AS earlier_rk
            FROM pairs p JOIN ranked ra ON ra.doc_id = p.a JOIN ranked rb ON rb.doc_id = p.b
        )
        SELECT later AS doc_id, arg_min(earlier, earlier_rk) AS original FROM edges GROUP BY later
        """,
        [int(np.ceil(THRESHOLD * NUM_PERM))],
    )
    con.execute(
        """
        UPDATE documents AS d SET near_duplicate_of = m.original
        FROM (SELECT c.doc_id, l.original FROM nd_changed c LEFT JOIN nd_links l USING (doc_id)) m
        WHERE d.doc_id = m.doc_id AND d.near_duplicate_of IS DISTINCT FROM m.original
        """
    )
    found = con.execute(
        "SELECT count(*) FROM nd_links WHERE doc_id IN (SELECT doc_id FROM nd_changed)"
    ).fetchone()[0]
    earlier = con.execute(  # an own post arriving after an external copy of it: flag the copy
        """
        UPDATE documents AS d SET near_duplicate_of = l.original FROM nd_links l
        WHERE d.doc_id = l.doc_id AND d.near_duplicate_of IS NULL AND l.doc_id NOT IN (SELECT doc_id FROM nd_changed)
        """
    ).fetchone()[0]
    if found or earlier:
        log.info("near duplicates: %d in this batch, %d earlier documents re-marked", found, earlier)
    con.execute("DROP TABLE nd_links")
    con.unregister("nd_changed")
    con.unregister("nd_bands")
    return found
