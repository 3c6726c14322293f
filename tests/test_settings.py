"""RNNLAB_* settings: a bad value falls back to its default with a message naming it, in the
app's sidebar and on the command line; the cache survives bad files and concurrent writers."""
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from core import settings
from core.contract import ConfigError, Result
from core.precompute import cached_path, load_cached, store

ROOT = Path(__file__).resolve().parents[1]

BAD = [  # (setting, value, what the message must say is accepted)
    ("RNNLAB_MAX_RUNS", "two", "from 1 to 64"),
    ("RNNLAB_MAX_RUNS", "0", "from 1 to 64"),
    ("RNNLAB_MAX_RUNS", "2.5", "from 1 to 64"),
    ("RNNLAB_TORCH_THREADS", "x", "from 1 to 256"),
    ("RNNLAB_TORCH_THREADS", "-3", "from 1 to 256"),
    ("RNNLAB_MAX_RUN_S", "nan", "from 1 to 86400"),
    ("RNNLAB_MAX_RUN_S", "inf", "from 1 to 86400"),
    ("RNNLAB_MAX_RUN_S", "0", "from 1 to 86400"),
    ("RNNLAB_ABANDON_S", "-1", "from 3 to 86400"),
    ("RNNLAB_ABANDON_S", "soon", "from 3 to 86400"),
    ("RNNLAB_MAX_RUNS_PER_SESSION", "many", "from 1 to 100"),
    ("RNNLAB_MAX_RUNS_PER_ADDRESS", "1e9", "from 1 to 10000"),
    ("RNNLAB_MAX_QUEUE", "-1", "from 0 to 10000"),
    ("RNNLAB_DEVICE", "gpu", "cpu, cuda, cuda:N, mps or auto"),
    ("RNNLAB_RAY_CPUS", "lots", "from 1 to 4096"),
    ("RNNLAB_RAY_SHIP_CODE", "yes", "0 or 1"),
]
DEFAULTS = {s.name: s.default for s in settings.ALL}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for s in settings.ALL:
        monkeypatch.delenv(s.name, raising=False)


@pytest.mark.parametrize("name, value, accepted", BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_a_bad_value_falls_back_to_the_default_with_a_message(monkeypatch, name, value,
                                                              accepted):
    monkeypatch.setenv(name, value)
    setting = next(s for s in settings.ALL if s.name == name)
    assert settings.read(setting) == DEFAULTS[name]
    [problem] = [p for p in settings.settings_problems() if p.startswith(name + "=")]
    assert accepted in problem and "default" in problem


def test_good_values_are_read(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNLAB_MAX_RUNS", " 3 ")
    monkeypatch.setenv("RNNLAB_MAX_RUN_S", "90.5")
    monkeypatch.setenv("RNNLAB_CACHE", str(tmp_path))
    monkeypatch.setenv("RNNLAB_DEVICE", "CPU")
    assert settings.max_runs() == 3 and settings.max_run_seconds() == 90.5
    assert settings.cache_dir() == tmp_path and settings.device_override() == "cpu"
    assert settings.settings_problems() == []


CACHE_PATHS_REFUSED = [("", "empty"), ("~nosuchuser/cache", "names no home directory"),
                       ("d" * 300, "too long"), ("/tmp/" + "d" * 300 + "/cache", "too long")]


@pytest.mark.parametrize("value, reason", CACHE_PATHS_REFUSED,
                         ids=["empty", "unknown-user", "long-name", "long-part"])
def test_a_cache_path_that_cannot_be_one_is_reported_and_the_cache_is_left_out(
        monkeypatch, value, reason):
    monkeypatch.setenv("RNNLAB_CACHE", value)
    assert settings.cache_dir() is None
    [problem] = [p for p in settings.settings_problems() if p.startswith("RNNLAB_CACHE=")]
    assert reason in problem and "without the precomputed cache" in problem
    assert load_cached("toy", Cfg()) is None  # the page draws as if nothing were stored
    with pytest.raises(OSError, match="set RNNLAB_CACHE to a directory path"):
        store(Result("toy", {}, {}, True, "completed", 1, 0.1), "toy", Cfg())


def test_a_cache_path_that_is_a_file_is_refused(monkeypatch, tmp_path):
    (tmp_path / "f").write_text("x")
    monkeypatch.setenv("RNNLAB_CACHE", str(tmp_path / "f"))
    assert settings.cache_dir() is None
    assert any("it is a file" in p for p in settings.settings_problems())


def test_the_default_cache_is_the_users_not_the_checkouts(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert settings.cache_dir() == tmp_path / "rnnlab"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert settings.cache_dir() == tmp_path / "home" / ".cache" / "rnnlab"
    assert ROOT not in settings.cache_dir().parents


# Values no setting accepts, or that a careless parse would choke on: each must be either
# read or reported by name, never raise.
GARBAGE = ["", " ", "lots", "-1", "0", "1e999", "nan", "inf", "3.5", "0x10", "9" * 400,
           "~nosuchuser/x", "x" * 300, "cuda:999999", "host:99999", "://", "\u202e1"]


@pytest.mark.parametrize("setting", settings.ALL, ids=[s.name for s in settings.ALL])
def test_every_setting_reads_or_reports_every_garbage_value(monkeypatch, setting):
    for value in GARBAGE:
        monkeypatch.setenv(setting.name, value)
        settings.read(setting)
        problems = [p for p in settings.settings_problems()
                    if p.startswith(setting.name + "=")]
        try:
            setting.parse(value)
        except ValueError:
            assert len(problems) == 1, (setting.name, value)
            assert setting.accepts in problems[0] and len(problems[0]) < 400
        else:
            assert problems == [], (setting.name, value)
    monkeypatch.setenv(setting.name, "lots")  # no setting here takes a bare word
    if setting is not settings.CACHE:
        assert any(p.startswith(setting.name + "=") for p in settings.settings_problems())


def test_a_missing_device_is_reported_and_the_choice_is_automatic(monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    from core.device import pick_device
    monkeypatch.setenv("RNNLAB_DEVICE", "cuda:3")
    assert pick_device().type in ("cpu", "mps")
    assert any("RNNLAB_DEVICE=cuda:3 is not available" in p
               for p in settings.settings_problems())


def test_bad_threads_setting_still_configures_threads(monkeypatch):
    from core.device import configure_threads
    monkeypatch.setenv("RNNLAB_TORCH_THREADS", "x")
    assert configure_threads() == 1


def test_the_app_starts_with_bad_settings_and_says_which(monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_RUNS", "two")
    monkeypatch.setenv("RNNLAB_MAX_RUN_S", "nan")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    shown = " ".join(w.value.replace("\\", "") for w in at.sidebar.warning)
    assert "RNNLAB_MAX_RUNS='two'" in shown and "RNNLAB_MAX_RUN_S='nan'" in shown
    assert any("Training now: 0 of 2 slots" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("value", ["~nosuchuser/cache", "c" * 300], ids=["unknown-user", "long"])
def test_a_lab_page_with_a_cache_path_that_cannot_be_one_keeps_its_train_button(monkeypatch,
                                                                               value):
    monkeypatch.setenv("RNNLAB_CACHE", value)
    at = AppTest.from_file(str(ROOT / "pages" / "bidirectional.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert any(b.label == "Train" for b in at.button)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    shown = " ".join(w.value.replace("\\", "") for w in app.sidebar.warning)
    assert "RNNLAB_CACHE=" in shown and "without the precomputed cache" in shown


def cli(*args, env=None):
    import os
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, **(env or {})}, timeout=300)


def test_the_command_line_warns_about_a_bad_setting_and_goes_on():
    out = cli("list", env={"RNNLAB_MAX_RUNS": "two", "RNNLAB_TORCH_THREADS": "x",
                           "RNNLAB_CACHE": "~nosuchuser/cache", "RNNLAB_RAY_CPUS": "lots"})
    assert out.returncode == 0 and "gradients" in out.stdout, out.stderr
    assert "RNNLAB_MAX_RUNS='two'" in out.stderr and "RNNLAB_TORCH_THREADS='x'" in out.stderr
    assert "RNNLAB_CACHE='~nosuchuser/cache'" in out.stderr
    assert "RNNLAB_RAY_CPUS='lots'" in out.stderr and "Traceback" not in out.stderr


def test_the_command_line_takes_a_cache_path_too_long_for_the_file_system():
    out = cli("list", env={"RNNLAB_CACHE": "c" * 300})
    assert out.returncode == 0 and "Traceback" not in out.stderr
    assert "RNNLAB_CACHE=" in out.stderr and "too long" in out.stderr


def test_precompute_without_a_cache_says_why_before_training():
    out = cli("precompute", "gradients", env={"RNNLAB_CACHE": "~nosuchuser/cache"})
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "set RNNLAB_CACHE to a directory path" in out.stderr
    assert "[1/" not in out.stdout  # nothing trained


def test_precompute_with_an_unknown_preset_fails_before_training(tmp_path):
    out = cli("precompute", "gradients", "--preset", "typo",
              env={"RNNLAB_CACHE": str(tmp_path)})
    assert out.returncode == 2, out
    assert "no preset named 'typo'" in out.stderr and "Traceback" not in out.stderr
    assert not any(tmp_path.iterdir())  # nothing was trained or written


def test_a_config_error_from_a_lab_is_exit_code_2_with_one_line(monkeypatch, capsys):
    import core.__main__ as cli_main

    class Lab:
        id = "fake"

        def make_config(self, overrides):
            return None

        def run(self, config, on_step=None):
            raise ConfigError("hidden must be even when cell is lstm")

    monkeypatch.setattr(cli_main, "get_lab", lambda name: Lab())
    assert cli_main.main(["run", "fake"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: hidden must be even when cell is lstm"]


@dataclass
class Cfg:
    hidden: int = 4


@pytest.mark.parametrize("content", [b"[]", b"{}", b'"text"', b"null", b"\xff\xfe", b"{",
                                     b'{"lab": "toy", "config": {}, "metrics": [], '
                                     b'"success": true, "status": "completed", "steps": 1, '
                                     b'"wall_s": 0}'],
                         ids=["list", "empty", "string", "null", "not-utf8", "truncated",
                              "wrong-shape"])
def test_a_bad_cache_file_is_treated_as_absent(monkeypatch, tmp_path, content):
    monkeypatch.setenv("RNNLAB_CACHE", str(tmp_path))
    path = cached_path("toy", Cfg())
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert load_cached("toy", Cfg()) is None


def test_concurrent_writers_of_one_cache_entry_do_not_collide(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNLAB_CACHE", str(tmp_path))
    result = Result("toy", {"hidden": 4}, {"loss": 0.5}, True, "completed", 3, 0.1,
                    history=[{"step": i, "loss": 1 / (i + 1)} for i in range(2000)])
    errors = []

    def writer():
        try:
            for _ in range(40):
                store(result, "toy", Cfg())
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)
    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert load_cached("toy", Cfg()).to_dict() == result.to_dict()
    leftovers = [p.name for p in cached_path("toy", Cfg()).parent.iterdir()
                 if p.suffix != ".json"]
    assert leftovers == []
    assert json.loads(cached_path("toy", Cfg()).read_text())["steps"] == 3


def test_precompute_says_where_and_numbers_each_preset_as_it_finishes(monkeypatch, tmp_path):
    from core.contract import Preset
    from core.precompute import precompute
    monkeypatch.setenv("RNNLAB_CACHE", str(tmp_path))

    class Lab:
        id = "toy"
        presets = (Preset("one", "", {"hidden": 2}), Preset("two", "", {"hidden": 3}))

        def make_config(self, overrides):
            return Cfg(**overrides)

        def run(self, config):
            return Result("toy", vars(config), {}, True, "succeeded", 1, 0.25)

    lines = []
    written = precompute([Lab()], log=lines.append)
    assert lines[0] == f"precompute: 2 presets into {tmp_path}"
    assert lines[1].startswith("[1/2] toy / one: succeeded, success=True, 0.2s -> ")
    assert lines[2].startswith("[2/2] toy / two:") and len(written) == 2
    assert all(tmp_path in path.parents for path in written)
