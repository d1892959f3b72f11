"""MeanLatencyThrottle: AutoThrottle that keeps each host at its target concurrency on average.

Scrapy's AutoThrottle sets a host's delay to `latency / AUTOTHROTTLE_TARGET_CONCURRENCY`,
but takes the larger of that and its running mean after every response. On a county portal
whose first byte takes 20-30 s that ratchet holds the delay near the slowest answers seen
(measured: 3.34 s between requests to a host answering in 2.5 s on average), so the host
gets less than its target, and the crawl of a national list ends a third later than
politeness requires. Here the delay follows the host's mean latency (an exponentially
weighted mean, OGI_THROTTLE_LATENCY_WEIGHT), so on average TARGET_CONCURRENCY requests are
in flight, as the setting says. What AutoThrottle does for a server in trouble stays: a
response that takes more than twice the mean raises the delay at once (to half that
latency), an error page never lowers it, and DOWNLOAD_DELAY and AUTOTHROTTLE_MAX_DELAY
bound it. A host's own delay in DOWNLOAD_SLOTS (a portal's `hints.delay`) is its floor:
Scrapy's AutoThrottle would lower it to DOWNLOAD_DELAY at the host's first quick answer.

The delay's jitter (DOWNLOAD_DELAY_JITTER) is drawn here, once per response. Scrapy's
downloader draws it anew every time it looks at a slot's queue, and a draw longer than the
time already waited means waiting again: at ±50% the mean gap between two requests is 1.22
times the delay (median 1.27), measured 1.18-1.30 on the national simulator's slow hosts.
Drawn once, the gaps average the delay.

Enabled in place of scrapy.extensions.throttle.AutoThrottle (crawler/settings.py), under
the same AUTOTHROTTLE_* settings.

May touch: nothing but the downloader slots' delays.
"""

from __future__ import annotations

import random

from scrapy.extensions.throttle import AutoThrottle


class MeanLatencyThrottle(AutoThrottle):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.weight = crawler.settings.getfloat("OGI_THROTTLE_LATENCY_WEIGHT", 0.3)
        self.jitter = crawler.settings.getfloat("DOWNLOAD_DELAY_JITTER", 0.0)
        self.mean_latency: dict[str | None, float] = {}  # by download slot: one host
        self.base_delay: dict[str | None, float] = {}  # the delay before its jitter
        self._slot_key: str | None = None
        self.floors = {key: float(slot["delay"]) for key, slot in crawler.settings.getdict("DOWNLOAD_SLOTS").items()
                       if isinstance(slot, dict) and slot.get("delay") is not None}

    def _response_downloaded(self, response, request, spider) -> None:
        self._slot_key = request.meta.get("download_slot")  # _adjust_delay is given the slot, not its key
        super()._response_downloaded(response, request, spider)

    def _adjust_delay(self, slot, latency: float, response) -> None:
        mean = self.mean_latency.get(self._slot_key)
        if mean is None:
            mean = latency
        elif response.status == 200 or latency > mean:  # a quick error page says nothing of the host's pace
            mean += self.weight * (latency - mean)
        self.mean_latency[self._slot_key] = mean
        new_delay = max(mean, latency / 2) / self.target_concurrency
        floor = max(self.mindelay, self.floors.get(self._slot_key, 0.0))
        new_delay = max(floor, min(new_delay, self.maxdelay))
        if response.status != 200 and new_delay <= self.base_delay.get(self._slot_key, slot.delay):
            return
        self.base_delay[self._slot_key] = new_delay
        slot.jitter = 0.0  # drawn here, once (the module says why)
        slot.delay = max(0.0, new_delay * (1 + random.uniform(-self.jitter, self.jitter)))  # noqa: S311
