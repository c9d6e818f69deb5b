"""crawlers: collecting feeds and blogs into typed records (DocumentRecord, FetchOutcome).

Public entries (called by flows/):
- `crawlers.feeds.collect_feed(source_id, url, *, own, comment_feeds, full_text, validators, known_urls, http)`
- `crawlers.crawl.crawl_sites(sites, *, work_dir, known_urls, settings, timeout_s)` with `SiteSpec`, `CrawlSettings`
- `crawlers.http.HttpSettings`, `crawlers.http.TransientFetchError` (retry it), `crawlers.check` (CLI checks)

Pages are extracted by one function, `crawlers.extract.extract_page`, everywhere (crawler, full-text
feeds, `resonanz extract`). The Scrapy project lives in `crawlers.scraping` and runs in a child process
(`python -m crawlers.runner spec.json`).
"""
