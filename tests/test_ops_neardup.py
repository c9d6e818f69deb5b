"""Near-duplicates: syndicated and trivially edited copies are linked, posts sharing a topic are not."""

from __future__ import annotations

import csv
import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.records import DocumentRecord, FetchOutcome
from warehouse.db import read_connection
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.neardup import BANDS, THRESHOLD, signature, similarity
from warehouse.runs import start_run

E_INVOICE = """Ab 2025 müssen Unternehmen in Deutschland E-Rechnungen empfangen können, ab 2027 auch versenden.
Viele Mittelständler unterschätzen, was das für ihre Prozesse bedeutet. Eine PDF per E-Mail ist keine
E-Rechnung im Sinne des Wachstumschancengesetzes: gemeint sind strukturierte Formate wie XRechnung oder
ZUGFeRD ab Version 2.0.1, die eine Maschine ohne Nachbearbeitung lesen kann. Wer heute noch Belege abtippt,
sollte jetzt prüfen, ob die Buchhaltungssoftware diese Formate importieren und validieren kann. In unseren
Projekten zeigt sich immer wieder, dass nicht die Technik das Problem ist, sondern die Stammdaten: falsche
Leitweg-IDs, fehlende Bestellnummern und uneinheitliche Lieferantennamen bremsen jede Automatisierung.
Unser Rat: Beginnen Sie mit den zehn Lieferanten, die die meisten Rechnungen schicken, und testen Sie den
Empfang über einen eigenen Posteingang, bevor die Pflicht greift."""

# Same topic, same keywords, different posts: must never be linked.
SAME_TOPIC = [
    """Die E-Rechnungspflicht im B2B-Bereich kommt in Stufen. Seit Januar 2025 gilt die Empfangspflicht für alle
Unternehmen, Übergangsfristen für den Versand laufen bis Ende 2027. Für kleine Betriebe mit weniger als
800.000 Euro Umsatz gibt es ein zusätzliches Jahr. Das Bundesfinanzministerium hat in einem Schreiben
klargestellt, welche Formate zulässig sind: XRechnung, ZUGFeRD und andere Formate nach EN 16931. Wer
Rechnungen per EDI austauscht, darf das unter bestimmten Bedingungen weiterhin tun. Steuerberater empfehlen,
die Umstellung nicht auf den letzten Moment zu verschieben, weil Softwareanbieter schon jetzt lange Wartezeiten
für Einführungsprojekte melden.""",
    """Wir haben bei Kontor in den letzten Monaten über zweihundert Kunden bei der Einführung der E-Rechnung
begleitet. Drei Erkenntnisse: Erstens kommt die größte Entlastung aus der automatischen Zuordnung zu
Bestellungen, nicht aus dem Format selbst. Zweitens lohnt sich ein Peppol-Zugang schon für Unternehmen mit
wenigen hundert Eingangsrechnungen im Monat. Drittens unterschätzen fast alle den Aufwand für die
Archivierung, denn das strukturierte XML ist das Original und muss revisionssicher aufbewahrt werden. In
unserem Webinar nächste Woche zeigen wir, wie XRechnung und ZUGFeRD in KontorOne ankommen und wie die
Freigabe im Team funktioniert.""",
    """ZUGFeRD oder XRechnung? Diese Frage hören wir in fast jedem Gespräch mit Finanzabteilungen. Die kurze
Antwort: Beide erfüllen die Anforderungen der E-Rechnungspflicht, solange das ZUGFeRD-Profil mindestens EN
16931 entspricht. ZUGFeRD hat den Vorteil, dass ein Mensch das eingebettete PDF weiterhin lesen kann, während
XRechnung ein reines XML ist, das ohne Viewer kaum verständlich ist. Öffentliche Auftraggeber verlangen meist
XRechnung. Im Geschäftsverkehr zwischen Unternehmen setzt sich in der Praxis oft ZUGFeRD durch, weil es den
Übergang für Empfänger ohne passende Software erleichtert.""",
]


def _post(
    url: str,
    text: str,
    source: str = "blog",
    own: bool = False,
    title: str = "E-Rechnung",
    published: datetime | None = None,
) -> DocumentRecord:
    return DocumentRecord(
        kind="post",
        source_id=source,
        url=url,
        canonical_url=url,
        title=title,
        text=text,
        author="Redaktion",
        own=own,
        published_at=published or datetime(2026, 3, 1, tzinfo=UTC),
    )


def _setup(db: Path) -> str:
    sync_sources(
        db,
        [
            SourceSpec("blog", "Blog", "feed", "http://127.0.0.1:9/feed"),
            SourceSpec("aggregator", "Aggregator", "feed", "http://127.0.0.1:9/agg"),
            SourceSpec("own", "Own blog", "own_blog", "http://127.0.0.1:9/own", own=True),
        ],
    )
    return start_run(db)


def _links(db: Path) -> dict[str, str | None]:
    with read_connection(db) as con:
        return dict(con.execute("SELECT url, near_duplicate_of FROM documents").fetchall())


def _typos(text: str) -> str:
    return (
        text.replace("Mittelständler", "Mittelstaendler")
        .replace("Stammdaten", "Stamm-Daten")
        .replace("Unser Rat:", "Unser Tipp:")
        .replace("jetzt prüfen", "dringend prüfen")
    )


def test_signatures_compare_copies_and_skip_short_texts():
    assert signature("Danke für den Beitrag, sehr hilfreich!") is None
    base = signature(E_INVOICE)
    assert similarity(base, signature(_typos(E_INVOICE))) >= THRESHOLD
    assert all(similarity(base, signature(other)) < 0.2 for other in SAME_TOPIC)


def test_syndicated_and_edited_copies_are_linked_to_the_first(tmp_db: Path):
    run = _setup(tmp_db)
    ingest_outcome(
        tmp_db, FetchOutcome("blog", "u", "ok", documents=[_post("http://127.0.0.1:9/a/", E_INVOICE)]), run
    )
    syndicated = _post(
        "http://127.0.0.1:9/agg/erechnung-pflicht/",
        E_INVOICE + "\n\nDieser Beitrag erschien zuerst im Kontor-Blog.",
        source="aggregator",
        title="E-Rechnung: was jetzt zu tun ist",
    )
    edited = _post("http://127.0.0.1:9/agg/erechnung-kopie/", _typos(E_INVOICE), source="aggregator")
    distinct = [
        _post(f"http://127.0.0.1:9/agg/topic-{i}/", t, source="aggregator") for i, t in enumerate(SAME_TOPIC)
    ]
    counts = ingest_outcome(
        tmp_db, FetchOutcome("aggregator", "u", "ok", documents=[syndicated, edited, *distinct]), run
    )
    assert (counts.new, counts.near_duplicates) == (5, 2)
    original = _post("http://127.0.0.1:9/a/", "").doc_id
    links = _links(tmp_db)
    assert links[syndicated.url] == original and links[edited.url] == original
    assert [links[d.url] for d in distinct] == [None, None, None]
    with read_connection(tmp_db) as con:
        logged = con.execute(
            "SELECT near_duplicates FROM fetch_log WHERE source_id = 'aggregator'"
        ).fetchone()[0]
        visible = con.execute("SELECT count(*) FROM documents_distinct").fetchone()[0]
    assert (logged, visible) == (2, 4)


def test_copies_within_one_batch_point_to_the_earliest(tmp_db: Path):
    run = _setup(tmp_db)
    first = _post("http://127.0.0.1:9/b/1/", E_INVOICE, published=datetime(2026, 1, 1, tzinfo=UTC))
    later = _post("http://127.0.0.1:9/b/2/", _typos(E_INVOICE), published=datetime(2026, 1, 5, tzinfo=UTC))
    counts = ingest_outcome(tmp_db, FetchOutcome("blog", "u", "ok", documents=[later, first]), run)
    assert counts.near_duplicates == 1
    assert _links(tmp_db) == {first.url: None, later.url: first.doc_id}


def test_own_post_is_never_the_copy_of_an_external_one(tmp_db: Path):
    run = _setup(tmp_db)
    scraped = _post("http://127.0.0.1:9/agg/copy/", _typos(E_INVOICE), source="aggregator")
    ingest_outcome(tmp_db, FetchOutcome("aggregator", "u", "ok", documents=[scraped]), run)
    own = _post("http://127.0.0.1:9/own/e-rechnung/", E_INVOICE, source="own", own=True)
    counts = ingest_outcome(tmp_db, FetchOutcome("own", "u", "ok", documents=[own]), run)
    assert counts.near_duplicates == 0
    assert _links(tmp_db) == {own.url: None, scraped.url: own.doc_id}


def test_edit_reindexes_and_clears_the_link(tmp_db: Path):
    run = _setup(tmp_db)
    a = _post("http://127.0.0.1:9/c/1/", E_INVOICE)
    b = _post("http://127.0.0.1:9/c/2/", _typos(E_INVOICE))
    ingest_outcome(tmp_db, FetchOutcome("blog", "u", "ok", documents=[a, b]), run)
    assert _links(tmp_db)[b.url] == a.doc_id
    rewritten = _post(b.url, SAME_TOPIC[0])
    counts = ingest_outcome(tmp_db, FetchOutcome("blog", "u", "ok", documents=[rewritten]), run)
    assert (counts.updated, counts.near_duplicates) == (1, 0)
    assert _links(tmp_db)[b.url] is None
    with read_connection(tmp_db) as con:
        bands = con.execute("SELECT doc_id, count(*) FROM doc_lsh_bands GROUP BY ALL").fetchall()
        sigs = con.execute("SELECT count(*) FROM doc_minhash").fetchone()[0]
    assert sorted(n for _, n in bands) == [BANDS, BANDS] and sigs == 2


def _words(rng: random.Random, vocab: list[str], n: int) -> str:
    return " ".join(rng.choice(vocab) for _ in range(n))


def test_batch_lookup_uses_the_index_not_a_scan(tmp_db: Path):
    """5,000 stored documents; a later batch of 50 (5 copies) is linked in well under a second."""
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(3000)]
    run = _setup(tmp_db)
    stored = [_post(f"http://127.0.0.1:9/s/{i}/", _words(rng, vocab, 80)) for i in range(5000)]
    ingest_outcome(tmp_db, FetchOutcome("blog", "u", "ok", documents=stored), run, batch_size=5000)
    fresh = [
        _post(f"http://127.0.0.1:9/n/{i}/", _words(rng, vocab, 80), source="aggregator") for i in range(45)
    ]
    copies = [
        _post(f"http://127.0.0.1:9/copy/{i}/", stored[i * 100].text + " via aggregator", source="aggregator")
        for i in range(5)
    ]
    started = time.perf_counter()
    counts = ingest_outcome(tmp_db, FetchOutcome("aggregator", "u", "ok", documents=fresh + copies), run)
    elapsed = time.perf_counter() - started
    assert (counts.new, counts.near_duplicates) == (50, 5)
    assert elapsed < 3.0, f"batch of 50 took {elapsed:.2f}s"


@pytest.mark.shared
def test_real_articles_no_false_positives_and_copies_found(tmp_db: Path, shared_dir: Path):
    """300 German news articles in 9 topics: none linked; edited copies of 60 English articles: all linked."""
    data = shared_dir / "data"
    with (data / "topics/10kgnad/dev.csv").open(encoding="utf-8") as handle:
        news = [row[1] for row in csv.reader(handle, delimiter=";", quotechar="'")]
    articles = [
        v["articleBody"] for v in json.loads((data / "extraction/ground-truth.json").read_text()).values()
    ]
    articles = [a for a in articles if len(a.split()) >= 60]
    run = _setup(tmp_db)
    originals = [_post(f"http://127.0.0.1:9/news/{i}/", t) for i, t in enumerate(news + articles)]
    counts = ingest_outcome(tmp_db, FetchOutcome("blog", "u", "ok", documents=originals), run)
    assert counts.near_duplicates == 0
    rng = random.Random(3)
    copies = []
    for i, text in enumerate(articles):
        words = text.split()
        for _ in range(3):  # three typos and a syndication footer
            j = rng.randrange(len(words))
            words[j] = words[j] + "s"
        copies.append(
            _post(
                f"http://127.0.0.1:9/mirror/{i}/",
                " ".join(words) + " Originally published elsewhere.",
                source="aggregator",
            )
        )
    counts = ingest_outcome(tmp_db, FetchOutcome("aggregator", "u", "ok", documents=copies), run)
    assert counts.near_duplicates == len(copies)
