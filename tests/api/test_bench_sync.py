"""The sync benchmark still runs end to end (a tiny run: 3 jobs, 15 actions, real gunicorn)."""

from __future__ import annotations

import pytest

from api import bench_sync


@pytest.mark.slow
def test_the_sync_benchmark_replays_every_action_without_a_failure(capsys):
    assert bench_sync.main(["--jobs", "3", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "| replay of queued actions | 15 |" in out
    assert "failed actions: 0" in out
    assert "server peak RSS" in out
