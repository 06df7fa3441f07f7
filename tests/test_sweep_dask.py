"""Sweeps on a real Dask cluster (``dask.distributed.LocalCluster``: worker processes on loopback):
the same numbers as the local run, also when a worker is killed mid-sweep."""
import os
import signal
import threading
import time

import numpy as np
import pytest
import xarray as xr

from hipsim import load_config, sweep

distributed = pytest.importorskip("distributed")

CONFIG = {"activity": {"kind": "running", "speed_m_s": 3.5},
          "sweep": {"design": "lhs", "samples": 128, "seed": 11,          # 16 chunks of 8 points
                    "axes": {"strength.gluteus_medius": [0.5, 1.0], "form.pelvic_rotation_scale": [0.6, 1.4]}}}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as c, distributed.Client(c, set_as_default=False) as client:
        yield c, client


@pytest.fixture(scope="module")
def local_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "local.zarr"
    return sweep(load_config(CONFIG), workers=1, output=out).load()


def test_dask_cluster_gives_the_local_numbers(cluster, local_result, tmp_path):
    c, client = cluster
    ds = sweep(load_config(CONFIG), client=client, output=tmp_path / "dask.zarr").load()
    xr.testing.assert_identical(ds, local_result)
    by_address = sweep(load_config(CONFIG), client=c.scheduler_address, output=tmp_path / "addr.nc").load()
    xr.testing.assert_identical(by_address, local_result)


@pytest.mark.slow                   # a second Dask cluster and a kill: ~100 s; `make test-all` runs it
def test_a_worker_killed_mid_sweep_does_not_change_the_result(cluster, local_result, tmp_path):
    c, client = cluster
    out = tmp_path / "killed.zarr"
    result = {}

    def run():
        result["ds"] = sweep(load_config(CONFIG), client=client, output=out)

    thread = threading.Thread(target=run)
    thread.start()
    import zarr
    deadline = time.time() + 300
    done = 0
    while time.time() < deadline and thread.is_alive():
        try:
            done = int(np.sum(zarr.open_group(str(out) + ".partial", mode="r")["point_done"][...]))
        except Exception:
            done = 0
        if done > 0:
            break
        time.sleep(0.01)
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    os.kill(victim, signal.SIGKILL)
    thread.join(600)
    assert 0 < done < CONFIG["sweep"]["samples"], f"the kill should land mid-sweep ({done} points were in)"
    assert "ds" in result, "the sweep did not finish after a worker was killed"
    xr.testing.assert_identical(result["ds"].load(), local_result)
    assert set(client.run(os.getpid).values()) != set(pids.values())       # the nanny restarted it
