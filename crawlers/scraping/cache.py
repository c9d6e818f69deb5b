"""HTTP cache components: a revalidating RFC 2616 policy and a leaner filesystem storage."""

from __future__ import annotations

import pickle
from pathlib import Path
from time import time

from scrapy import Request, Spider
from scrapy.extensions.httpcache import FilesystemCacheStorage, RFC2616Policy
from scrapy.http import Response
from w3lib.http import headers_dict_to_raw


class RevalidatingPolicy(RFC2616Policy):
    """RFC2616Policy that always sends If-None-Match / If-Modified-Since for a stale cached response.

    Scrapy's policy returns early for `Cache-Control: no-cache` without setting the validators, so
    such pages (common on blogs) are downloaded in full every time instead of answering 304.
    """

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        fresh = super().is_cached_response_fresh(cachedresponse, request)
        if not fresh:
            self._set_conditional_validators(request, cachedresponse)
        return fresh


class LeanFilesystemStorage(FilesystemCacheStorage):
    """Scrapy's filesystem cache, writing only what retrieval reads (body, headers, data, meta last).

    After a 304 revalidation only the headers and meta are rewritten, not the unchanged body: a
    revalidation run then writes two small files per page instead of seven.
    """

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        rpath = Path(self._get_request_path(spider, request))
        rpath.mkdir(parents=True, exist_ok=True)
        revalidated = "cached" in response.flags and (rpath / "response_body").exists()
        if not revalidated:
            with self._open(rpath / "response_body", "wb") as f:
                f.write(response.body)
            data = {k: v for k, v in response.to_dict().items() if k not in {"url", "status", "headers", "body"}}
            with self._open(rpath / "response_data", "wb") as f:
                pickle.dump(data, f, protocol=4)
        with self._open(rpath / "response_headers", "wb") as f:
            f.write(headers_dict_to_raw(response.headers))
        metadata = {"url": request.url, "method": request.method, "status": response.status,
                    "response_url": response.url, "timestamp": time()}
        with self._open(rpath / "pickled_meta", "wb") as f:  # last: an entry without it is a miss
            pickle.dump(metadata, f, protocol=4)
