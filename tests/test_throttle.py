"""crawler.throttle.MeanLatencyThrottle: a host's delay follows its mean latency, so it gets
AUTOTHROTTLE_TARGET_CONCURRENCY requests in flight on average; a host that slows down or
fails is given room at once; the jitter is drawn once per response.

Driven through the extension's own signal handler, with Scrapy's real Slot, Request and
Response; the engine is a stand-in holding the one slot."""

from __future__ import annotations

import random
import statistics
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.throttle import MeanLatencyThrottle

HOST = "county.example.gov.cn"


def throttle_for(cls=MeanLatencyThrottle, **settings):
    crawler = get_crawler(settings_dict={"AUTOTHROTTLE_ENABLED": True, "DOWNLOAD_DELAY": 2.0,
                                         "AUTOTHROTTLE_MAX_DELAY": 60.0, "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
                                         "DOWNLOAD_DELAY_JITTER": 0.5, **settings})
    slot = Slot(2, 2.0, 0.5)
    crawler.engine = SimpleNamespace(downloader=SimpleNamespace(slots={HOST: slot}))
    throttle = cls(crawler)
    throttle.mindelay, throttle.maxdelay = throttle._min_delay(), throttle._max_delay()
    return throttle, slot


def answer(throttle, latency: float, status: int = 200) -> None:
    request = Request(f"http://{HOST}/", meta={"download_slot": HOST, "download_latency": latency})
    throttle._response_downloaded(Response(request.url, status=status, request=request), request, None)


def base(throttle) -> float:
    return throttle.base_delay[HOST]


def test_a_slow_host_is_paced_at_its_mean_latency_where_autothrottle_ratchets_above_it():
    rng = random.Random(7)
    latencies = [rng.uniform(20, 30) for _ in range(600)]
    ours, _ = throttle_for()
    scrapys, scrapy_slot = throttle_for(AutoThrottle)
    our_delays, scrapy_delays = [], []
    for latency in latencies:
        answer(ours, latency)
        answer(scrapys, latency)
        our_delays.append(base(ours))
        scrapy_delays.append(scrapy_slot.delay)
    mean = statistics.mean(latencies)
    assert statistics.mean(our_delays[50:]) == pytest.approx(mean, rel=0.03)  # one request in flight on average
    assert statistics.mean(scrapy_delays[50:]) > 1.03 * mean  # what this extension is for


def test_the_jitter_is_drawn_once_per_response_and_averages_the_delay():
    throttle, slot = throttle_for()
    drawn = []
    for _ in range(400):
        answer(throttle, 25.0)
        assert slot.jitter == 0.0 and slot.download_delay() == slot.delay  # the downloader draws nothing more
        drawn.append(slot.delay / base(throttle))
    assert min(drawn) >= 0.5 and max(drawn) <= 1.5
    assert statistics.mean(drawn) == pytest.approx(1.0, abs=0.05)


def test_a_host_that_slows_down_is_given_room_at_once():
    throttle, _ = throttle_for()
    for _ in range(20):
        answer(throttle, 2.5)
    assert base(throttle) == pytest.approx(2.5)
    answer(throttle, 12.0)
    assert base(throttle) >= 6.0  # half the slow answer, not a third of the way there


def test_a_quick_error_page_never_lowers_the_delay_and_fast_hosts_keep_the_download_delay():
    throttle, _ = throttle_for()
    for _ in range(5):
        answer(throttle, 8.0)
    before = base(throttle)
    for _ in range(5):
        answer(throttle, 0.05, status=503)
    assert base(throttle) == before
    fast, _ = throttle_for()
    for _ in range(5):
        answer(fast, 0.05)
    assert base(fast) == 2.0  # DOWNLOAD_DELAY is the floor


def test_a_portals_own_delay_is_a_floor_a_quick_host_never_goes_below():
    throttle, _ = throttle_for(DOWNLOAD_SLOTS={HOST: {"delay": 10.0}})
    for _ in range(5):
        answer(throttle, 0.05)
    assert base(throttle) == 10.0
    answer(throttle, 40.0)
    assert base(throttle) >= 20.0  # and room above it as for any host


def test_the_project_enables_it_in_place_of_autothrottle():
    from scrapy.settings import Settings

    import crawler.settings

    extensions = Settings(vars(crawler.settings)).getdict("EXTENSIONS")
    assert extensions["crawler.throttle.MeanLatencyThrottle"] == 0
    assert extensions["scrapy.extensions.throttle.AutoThrottle"] is None
