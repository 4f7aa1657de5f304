import os
import tempfile

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Builds go to a cache shared by the xdist workers of this session (keyed by content,
    locked per build), unless the user points TILEWRIGHT_CACHE elsewhere."""
    if "TILEWRIGHT_CACHE" not in os.environ:
        os.environ["TILEWRIGHT_CACHE"] = os.path.join(tempfile.gettempdir(),
                                                      "tilewright-test-cache")
    yield
