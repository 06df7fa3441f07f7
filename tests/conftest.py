"""Shared fixtures: the development reference data (../shared/reference) and small configs."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
OPENSIM = REFERENCE / "opensim"


def reference_path(relative):
    """A file under ../shared/reference, or skip the test where the development data is absent."""
    path = REFERENCE / relative
    if not path.exists():
        pytest.skip(f"development reference data not found: {path}")
    return path


@pytest.fixture(scope="session")
def subject01_config():
    """The OpenSim gait2392 subject01 walking trial with its own scaled model."""
    from hipsim import load_config
    return load_config({
        "subject": {"mass_kg": 72.6, "height_m": 1.8},
        "activity": {"kind": "walking", "frames": 101,
                     "motion_file": str(reference_path("opensim/gait2392_pipeline/subject01_walk1_ik.mot")),
                     "grf_file": str(reference_path("opensim/gait2392_walk_SO_JR/subject01_walk1_grf.mot"))},
        "model": {"osim_file": str(reference_path(
            "opensim/gait2392_walk_SO_JR/subject01_simbody_adjusted_StaticOp.osim"))},
    })


@pytest.fixture(scope="session")
def subject01_run(subject01_config):
    from hipsim.pipeline import run_pipeline
    return run_pipeline(subject01_config)


def pytest_configure(config):
    """Tests share one on-disk model cache per user (not the user's own ~/.cache/hipsim), so the
    xdist workers and the subprocess tests build each hip once."""
    import os
    import tempfile
    os.environ.setdefault("HIPSIM_CACHE_DIR", os.path.join(tempfile.gettempdir(), f"hipsim-test-cache-{os.getuid()}"))
