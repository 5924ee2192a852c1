"""The fault soak, short: 240 prompts (about 300 requests), the CLI SIGKILLed and restarted, two processes on one store part of the time.

Nothing lost, nothing paid twice except what was in flight in a killed process,
the store intact after every kill (issue 29). The long run is benchmarks/soak.py.
"""

from __future__ import annotations

import sys

import pytest

from distillscope.testing.fault_soak import SoakPlan, run_soak


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="traces deliveries to processes through /proc")
def test_a_short_soak_loses_nothing_and_pays_twice_only_for_requests_in_flight_at_a_kill(tmp_path):
    plan = SoakPlan(
        prompts=240,
        seed=1,
        concurrency=16,
        latency_s=0.01,
        kill_every_s=(0.5, 1.5),
        kill_after_start_s=1.0,
        kill_after_requests=20,
        dead_every_s=(3.0, 6.0),
        dead_for_s=(0.3, 0.8),
        second_process_share=0.7,
    )
    report = run_soak(plan, tmp_path, log=lambda line: None)
    assert report.answers_stored == report.prompts == 240
    assert report.answers_lost == 0
    assert report.paid_twice_otherwise == 0
    paid_again = report.paid_twice_in_flight_at_kill + report.paid_twice_in_flight_at_a_stop + report.paid_twice_after_client_timeout
    assert report.answers_delivered == report.prompts + paid_again
    assert report.paid_twice_after_client_timeout == 0  # nothing here is slower than the client's 30 s timeout
    assert report.kills >= 3 and report.integrity_checks == report.kills and report.integrity_failures == 0
    assert report.time_two_processes_s > 0
    assert report.requests_sent > report.prompts  # faults were injected and retried
    assert {"429", "500", "reset", "malformed"} <= set(report.faults)
