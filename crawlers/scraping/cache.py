"""HTTP cache components: a revalidating RFC 2616 policy and a leaner (one file per response) filesystem storage."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from time import time

from scrapy import Request, Spider
from scrapy.extensions.httpcache import FilesystemCacheStorage, RFC2616Policy
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.response import response_from_dict
from w3lib.http import headers_dict_to_raw, headers_raw_to_dict


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
    """Scrapy's filesystem cache with one file per response: `<cachedir>/<spider>/<fp[:2]>/<fp>.entry`.

    The file is a pickle of metadata, headers, extra response data and body, written under a temporary
    name and renamed into place, so an entry is whole or absent (a crash mid-write leaves a miss).
    Scrapy's layout (a folder and seven files per page; four in an earlier version of this class) made
    cache writes the costliest step of the crawl process: bench/crawl.py, bench/RESULTS.md.
    """

    SUFFIX = ".entry"

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self._folders: set[Path] = set()

    def _entry_path(self, spider: Spider, request: Request) -> Path:
        return Path(self._get_request_path(spider, request) + self.SUFFIX)

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        path = self._entry_path(spider, request)
        try:
            if 0 < self.expiration_secs < time() - path.stat().st_mtime:
                return None  # expired
            with self._open(path, "rb") as f:
                entry = pickle.load(f)  # our own cache files
        except FileNotFoundError:
            return None
        request.meta["cache_timestamp"] = entry["timestamp"]
        return response_from_dict(
            {
                **entry["data"],
                "url": entry["response_url"],
                "status": entry["status"],
                "headers": headers_raw_to_dict(entry["headers"]),
                "body": entry["body"],
            }
        )

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        path = self._entry_path(spider, request)
        if path.parent not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(path.parent)
        data = {k: v for k, v in response.to_dict().items() if k not in {"url", "status", "headers", "body"}}
        data["flags"] = [flag for flag in data.get("flags", []) if flag != "cached"]  # set again on retrieval
        entry = {
            "url": request.url,
            "method": request.method,
            "status": response.status,
            "response_url": response.url,
            "timestamp": time(),
            "headers": headers_dict_to_raw(response.headers),
            "data": data,
            "body": response.body,
        }
        temporary = path.with_name(path.name + ".tmp")
        with self._open(temporary, "wb") as f:
            pickle.dump(entry, f, protocol=4)
        os.replace(temporary, path)
