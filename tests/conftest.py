"""Shared pytest fixtures: where the build lives."""
import os
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("O", os.path.join(ROOT, "build"))


@pytest.fixture(scope="session")
def build_dir():
    return BUILD
