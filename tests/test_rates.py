"""Rates with uncertainty: the Wilson interval (Python and SQL agree), the negative-swing rule on own posts
and negative alerts, and the interval shown in the overview and digests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from fixtures.insight_db import ANCHOR, copy_db, ingest_series, shared_insight_db

from ui.digest import DigestSettings, Recipient, build_digest, render_markdown
from warehouse import corrections, insights
from warehouse.aggregates import refresh_aggregates
from warehouse.alerts import AlertSettings, detect_alerts
from warehouse.db import init_db
from warehouse.rates import interval_text, negative_swing, wilson, wilson_sql, z_value

PRICING_POST = "Neues Lizenzmodell: KontorOne ab 2027 pro Nutzer"


def test_wilson_interval_matches_published_values():
    # Newcombe (1998), Table I, method 3 (Wilson score without continuity correction), 95%.
    assert z_value() == pytest.approx(1.959964, abs=1e-6)
    for (k, n), (low, high) in {
        (81, 263): (0.2553, 0.3662),
        (15, 148): (0.0624, 0.1605),
        (0, 20): (0.0, 0.1611),
        (1, 29): (0.0061, 0.1718),
    }.items():
        rate = wilson(k, n)
        assert (rate.low, rate.high) == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))
        assert rate.low <= rate.share <= rate.high
    assert wilson(0, 0).share is None and wilson(0, 0).text() == "—"
    assert wilson(3, 5).text() == "60% (23–88%)"
    with pytest.raises(ValueError):
        wilson(6, 5)


def test_sql_interval_equals_the_python_one():
    low, high = wilson_sql("k", "n")
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT k, n, {low}, {high} FROM (VALUES (0, 0), (0, 7), (3, 5), (81, 263), (20, 20)) v(k, n)",
        {"z": z_value()},
    ).fetchall()
    for k, n, got_low, got_high in rows:
        rate = wilson(k, n)
        if n == 0:
            assert got_low is None and got_high is None
        else:
            assert (got_low, got_high) == (pytest.approx(rate.low), pytest.approx(rate.high))


def test_swing_rule_needs_the_interval_above_the_baseline_and_enough_documents():
    assert negative_swing(wilson(4, 5), 0.2, min_documents=5)  # 80% (38–96%) above 20%
    assert not negative_swing(wilson(4, 5), 0.2, min_documents=6)  # too few comments
    assert not negative_swing(
        wilson(2, 3), 0.25, min_documents=3
    )  # 67% but the interval (21–94%) reaches 25%
    assert not negative_swing(wilson(30, 100), 0.2, min_documents=5, min_delta=0.15)  # significant, small
    assert negative_swing(wilson(30, 100), 0.2, min_documents=5)
    assert not negative_swing(wilson(0, 0), 0.2, min_documents=0)
    assert not negative_swing(wilson(5, 5), None, min_documents=1)
    assert interval_text(0.5) == "50%" and interval_text(float("nan")) == "—"


def test_own_posts_flag_follows_the_interval_rule(tmp_path: Path):
    db = copy_db(shared_insight_db()[0], tmp_path / "rates.duckdb")
    posts = insights.own_posts(db, 0.15, 5)
    for row in posts.itertuples():
        labelled = row.negative + row.neutral + row.positive
        rate = wilson(row.negative, labelled)
        assert row.flagged == negative_swing(rate, row.baseline_share, 5, 0.15), row.title
        if labelled:
            assert (row.negative_low, row.negative_high) == (
                pytest.approx(rate.low),
                pytest.approx(rate.high),
            )
    pricing = posts.set_index("title").loc[PRICING_POST]
    assert pricing["flagged"]

    # Editors correct the negative comments of the pricing post to neutral: its interval now reaches the
    # baseline and the flag goes, at once.
    negatives = insights.post_comments(db, pricing["doc_id"]).query("sentiment == 'negative'")
    for doc_id in negatives["doc_id"].iloc[1:]:
        corrections.set_sentiment(db, doc_id, "neutral", "Anna")
    assert not insights.own_posts(db, 0.15, 5).set_index("title").loc[PRICING_POST, "flagged"]


def test_negative_alert_needs_the_interval_above_the_baseline(tmp_db: Path):
    init_db(tmp_db)
    today = ANCHOR
    days = {today - timedelta(days=d): (2, 1) for d in range(7, 63)}  # baseline: half negative
    days.update({today - timedelta(days=d): (1, 1) for d in range(7)})  # recent: 7 of 7 negative
    ingest_series(tmp_db, "Preise & Lizenzen", days)
    refresh_aggregates(tmp_db, today=today)
    settings = AlertSettings(min_documents=5, negative_share_delta=0.15)
    found = [a for a in detect_alerts(tmp_db, settings, today) if a.kind == "negative"]
    assert len(found) == 1 and found[0].low == pytest.approx(wilson(7, 7).low) and found[0].low > 0.5
    assert "negative share 100% (65–100%) vs 50% before" in found[0].message

    # 5 of 7 negative: 21 points above the baseline, but the interval (36–92%) reaches it: no alert
    days.update({today - timedelta(days=d): (1, 1 if d < 5 else 0) for d in range(7)})
    other = tmp_db.with_name("other.duckdb")
    init_db(other)
    ingest_series(other, "Preise & Lizenzen", days)
    refresh_aggregates(other, today=today)
    assert not [a for a in detect_alerts(other, settings, today) if a.kind == "negative"]


def test_overview_kpis_and_digest_show_the_interval(tmp_path: Path):
    db = copy_db(shared_insight_db()[0], tmp_path / "digest.duckdb")
    filters = insights.Filters(start=ANCHOR - timedelta(days=365), end=ANCHOR)
    kpis = insights.kpis(db, filters)
    rate = wilson(kpis["negative"], kpis["labelled"])
    assert (kpis["negative_low"], kpis["negative_high"]) == (rate.low, rate.high)
    for frame in (insights.share_by_topic(db, filters), insights.share_by_source(db, filters)):
        labelled = frame.dropna(subset=["negative_share"])
        assert len(labelled) and (labelled["negative_low"] <= labelled["negative_share"]).all()
        assert (labelled["negative_share"] <= labelled["negative_high"]).all()
    person = Recipient("Miriam", "m@example.com", ("Preise & Lizenzen",))
    digest = build_digest(db, person, DigestSettings(days=365), AlertSettings(), ANCHOR)
    summary = digest.summaries[0]
    expected = interval_text(summary["negative_share"], summary["negative_low"], summary["negative_high"])
    assert summary["negative_low"] < summary["negative_share"] < summary["negative_high"]
    assert f"| {expected} |" in render_markdown(digest)
