"""Memory of the emerging-topic clustering: peak data-dependent memory at 5,000 vs 50,000 posts, nothing left out.

Usage: python -m bench.cluster_memory [--sizes 5000 50000]

Each size runs in its own child process: synthetic posts (USE-like 512-dimensional unit vectors around 200
stories, short texts), then `nlp.grouping.find_emerging_topics` with the pipeline's parameters (labels by
c-TF-IDF, no encoder). The child reports its peak RSS above the RSS it had before the data was made (the
data-dependent part) and checks that every post is either in a topic or in the outlier bucket. Before this
issue the clustering of 5,000 items alone held a 5,000² distance matrix (O(n²)); now memory grows with n·d.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

from .common import run_child


def child(n: int) -> dict:
    import numpy as np
    import scipy.optimize  # noqa: F401  (libraries loaded before the baseline: fixed, not data costs)
    import sklearn.cluster
    import sklearn.feature_extraction.text  # noqa: F401

    from nlp.grouping import EMERGING_PARAMS, find_emerging_topics
    from nlp.records import ClusterDoc

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((200, 512)).astype(np.float32)
    words = [f"thema{i}" for i in range(200)]
    docs = []
    for i in range(n):
        story = i % 200
        vector = centres[story] + 0.9 * rng.standard_normal(512).astype(np.float32)
        text = f"{words[story]} {words[(story * 7) % 200]} bericht nummer{i % 50} markt"
        docs.append(
            ClusterDoc(f"d{i}", text, vector / np.linalg.norm(vector), source=f"blog{i % 17}", lang="de")
        )
    started = time.perf_counter()
    result = find_emerging_topics(docs, (), EMERGING_PARAMS)
    seconds = time.perf_counter() - started
    placed = sum(len(c.members) for c in result.clusters) + len(result.outliers)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "posts": n,
        "placed": placed,
        "topics": len(result.clusters),
        "outliers": len(result.outliers),
        "seconds": round(seconds, 1),
        "data_peak_mb": round((peak - before) / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[5_000, 50_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    runs = {}
    for n in args.sizes:
        done = run_child(["-m", "bench.cluster_memory", "--child", str(n)], timeout=3600)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"clustering {n} posts failed (exit {done.returncode})")
        runs[n] = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(runs[n]), flush=True)
        assert runs[n]["placed"] == n, "a post was left out"
    small, large = args.sizes
    ratio = runs[large]["data_peak_mb"] / max(runs[small]["data_peak_mb"], 1e-9)
    print(
        f"cluster memory: data-dependent peak {runs[large]['data_peak_mb']:.0f} MB at {large:,} vs "
        f"{runs[small]['data_peak_mb']:.0f} MB at {small:,} posts = {ratio:.2f} for {large / small:.0f}× the posts "
        f"(every post placed: in a topic or the outlier bucket)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
