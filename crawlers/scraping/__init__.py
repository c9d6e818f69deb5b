"""The Scrapy project behind `crawl_sites`: settings, items, middlewares, pipelines and the blog spider.

It runs in a child process (`python -m crawlers.runner spec.json`); see crawlers/crawl.py.
"""
