"""Choosing the local model's engines for the machine: CPUs, threads, slots, waiting."""

from __future__ import annotations

from pathlib import Path

import pytest

from seamline.exceptions import ConfigError
from seamline.models import LocalModelConfig, load_config, local_plan
from seamline.models.local_plan import SPIN_COUNT, plan_engines, usable_cpus


@pytest.mark.parametrize(
    ("cpus", "engines", "threads", "solo"),
    [(1, 1, 1, 0), (2, 2, 1, 2), (4, 4, 1, 4), (8, 4, 2, 4), (64, 4, 4, 0)],
)
def test_an_idle_machine_gets_an_engine_per_cpu_and_a_solo_engine_for_lone_calls(
    cpus: int, engines: int, threads: int, solo: int
) -> None:
    plan = plan_engines(LocalModelConfig(), cpus=cpus, busy=0.0)

    assert (plan.engines, plan.threads, plan.slots, plan.solo_threads) == (
        engines,
        threads,
        1,
        solo,
    )
    assert plan.wait == ("spin" if max(threads, solo) > 1 else "passive")
    assert plan.concurrency == engines
    assert plan.flash_attention is False


@pytest.mark.parametrize(
    ("cpus", "busy", "engines"), [(2, 1.0, 2), (2, 12.0, 2), (8, 4.0, 4), (1, 3.0, 1)]
)
def test_a_loaded_machine_gets_one_thread_engines_and_no_solo_engine(
    cpus: int, busy: float, engines: int
) -> None:
    plan = plan_engines(LocalModelConfig(), cpus=cpus, busy=busy)

    assert (plan.engines, plan.threads, plan.solo_threads, plan.wait) == (engines, 1, 0, "passive")
    assert plan.concurrency == engines
    assert plan.busy == busy


def test_flash_attention_on_means_no_solo_engine_unless_asked() -> None:
    assert plan_engines(LocalModelConfig(flash_attention=True), cpus=2, busy=0.0).solo_threads == 0
    config = LocalModelConfig(flash_attention=True, solo=True)
    assert plan_engines(config, cpus=2, busy=0.0).solo_threads == 2


def test_a_little_load_is_not_a_loaded_machine() -> None:
    assert plan_engines(LocalModelConfig(), cpus=4, busy=1.0).solo_threads == 4


def test_threads_per_engine_divide_the_cpus_between_engines() -> None:
    plan = plan_engines(LocalModelConfig(engines=2), cpus=8, busy=0.0)

    assert (plan.engines, plan.threads, plan.solo_threads, plan.wait) == (2, 4, 0, "spin")


def test_explicit_settings_win() -> None:
    config = LocalModelConfig(threads=2, engines=1, slots=4, solo=False, wait="active")
    plan = plan_engines(config, cpus=2, busy=12.0)

    assert (plan.engines, plan.threads, plan.slots, plan.solo_threads) == (1, 2, 4, 0)
    assert plan.wait == "active"
    assert plan.concurrency == 4
    assert (
        plan.describe()
        == "1 engine × 2 threads × 4 slots (active waits) on 2 CPUs, 12.0 busy: 4 calls at once"
    )
    forced = plan_engines(LocalModelConfig(solo=True), cpus=2, busy=12.0)
    assert forced.solo_threads == 2
    assert forced.describe() == (
        "2 engines × 1 thread and a 2-thread engine for a lone call (spin waits) on 2 CPUs, "
        "12.0 busy: 2 calls at once"
    )


@pytest.mark.parametrize(
    ("wait", "environment"),
    [
        ("passive", {"OMP_WAIT_POLICY": "PASSIVE"}),
        ("active", {"OMP_WAIT_POLICY": "ACTIVE"}),
        ("spin", {"GOMP_SPINCOUNT": str(SPIN_COUNT)}),
    ],
)
def test_the_wait_policy_becomes_openmp_settings(wait: str, environment: dict[str, str]) -> None:
    plan = plan_engines(LocalModelConfig(threads=2, wait=wait), cpus=2)  # type: ignore[arg-type]

    assert plan.environment() == environment


def test_usable_cpus_follow_the_affinity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_plan.os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    monkeypatch.setattr(local_plan, "_cgroup_quota", lambda: None)

    assert usable_cpus() == 3
    assert plan_engines(LocalModelConfig()).cpus == 3


def test_a_cgroup_quota_bounds_the_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        local_plan.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False
    )
    monkeypatch.setattr(local_plan, "_cgroup_quota", lambda: 2.5)

    assert usable_cpus() == 2


@pytest.mark.parametrize(
    ("files", "quota"),
    [
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "300000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 3.0),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
    ],
    ids=["v2-limited", "v2-unlimited", "v1-limited", "v1-unlimited", "none"],
)
def test_cgroup_quotas_are_read_from_v1_and_v2(
    tmp_path: Path, files: dict[str, str], quota: float | None
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    assert local_plan._cgroup_quota(tmp_path) == quota


def test_environment_variables_set_the_engines() -> None:
    env = {
        "SEAMLINE_LOCAL_THREADS": "2",
        "SEAMLINE_LOCAL_ENGINES": "3",
        "SEAMLINE_LOCAL_SLOTS": "2",
        "SEAMLINE_LOCAL_SOLO": "off",
        "SEAMLINE_LOCAL_WAIT": "spin",
        "SEAMLINE_LOCAL_FLASH_ATTENTION": "on",
        "SEAMLINE_LOCAL_CACHE": "/tmp/prefixes",
    }

    local = load_config(environ=env).local
    plan = plan_engines(local, cpus=8, busy=0.0)

    assert (plan.engines, plan.threads, plan.slots, plan.wait) == (3, 2, 2, "spin")
    assert (plan.solo_threads, plan.flash_attention) == (0, True)
    assert (local.prefix_cache, local.cache_dir) == (True, "/tmp/prefixes")
    assert load_config(environ={"SEAMLINE_LOCAL_CACHE": "off"}).local.prefix_cache is False


def test_a_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"SEAMLINE_LOCAL_WAIT='busy' \(wait\): Input should be"):
        load_config(environ={"SEAMLINE_LOCAL_WAIT": "busy"})
    with pytest.raises(ConfigError, match=r"SEAMLINE_LOCAL_THREADS='0' \(threads\)"):
        load_config(environ={"SEAMLINE_LOCAL_THREADS": "0"})
