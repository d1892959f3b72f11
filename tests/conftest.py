"""Fixtures shared across test modules."""

import subprocess
import sys
from pathlib import Path

import pytest


def run_ogi(*args: str) -> subprocess.CompletedProcess:
    """Run the `ogi` command as a user would, in a child process."""
    result = subprocess.run([sys.executable, "-m", "ogi.cli", *args], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    return result


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory) -> Path:
    """A data folder made by `ogi demo --no-serve`: the README's first command, minus the server."""
    data_dir = tmp_path_factory.mktemp("demo")
    run_ogi("demo", "--data", str(data_dir), "--no-serve")
    return data_dir
