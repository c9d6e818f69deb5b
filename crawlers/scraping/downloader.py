"""Scrapy's downloader with its per-slot concurrency limit kept when a slot has no download delay.

Scrapy 2.19 on the asyncio reactor starts each download as a task, and counts it in `slot.transferring`
only once that task runs. With no delay, one pass of `Downloader._process_queue` therefore starts every
queued request of a slot: 12 requests at once to a host limited to 2 (tests/test_crawl_sites.py,
`test_no_delay_keeps_the_per_host_limit`). Here a request counts as transferring from the moment it
leaves the slot's queue; Scrapy's own `_download` adds it again (a set) and removes it when done.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from scrapy import Request
from scrapy.core.downloader import Downloader, Slot


class _CountingQueue(deque):
    """A slot's queue whose `popleft` marks the request as transferring at once."""

    def __init__(self, slot: Slot, items: Any = ()) -> None:
        super().__init__(items)
        self.slot = slot

    def popleft(self) -> tuple[Request, Any]:
        request, dfd = super().popleft()
        self.slot.transferring.add(request)
        return request, dfd


class BoundedDownloader(Downloader):
    """`DOWNLOADER` for Resonanz crawls: never more than a slot's concurrency in flight."""

    def _get_slot(self, request: Request, *args: Any) -> tuple[str, Slot]:
        key, slot = super()._get_slot(request, *args)  # no spider of ours: Scrapy deprecates passing one
        if not isinstance(slot.queue, _CountingQueue):
            slot.queue = _CountingQueue(slot, slot.queue)
        return key, slot
