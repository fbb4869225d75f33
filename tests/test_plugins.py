"""Plug-ins through the ``bhrscore.plugins`` entry-point group.

The example package of ``examples/plugin-example`` is "installed" the way pip leaves an
installed package: its module and a ``.dist-info`` directory with ``entry_points.txt`` in a
directory on ``sys.path`` (``PYTHONPATH`` of a subprocess). The CLI then discovers it by
itself and validates, scores and briefs a bundle of the plug-in's kind; a broken plug-in
beside it is reported by name and skipped, without a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bhrscore import plugins as plugins_module
from bhrscore.plugins import ENTRY_POINT_GROUP, PluginWarning, load_entry, load_plugins

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "plugin-example"
DEMO = EXAMPLE / "demo"


def _dist(site: Path, name: str, version: str, entry_points: str) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site directory holding the example plug-in and a broken one, as installed."""
    site = tmp_path_factory.mktemp("site")
    shutil.copy(EXAMPLE / "bhrscore_example_plugin.py", site)
    _dist(
        site,
        "bhrscore-example-plugin",
        "0.1.0",
        f"[{ENTRY_POINT_GROUP}]\nharassment = bhrscore_example_plugin\n",
    )
    (site / "fictional_broken_plugin.py").write_text(
        "def register():\n    raise RuntimeError('fictional failure')\n", encoding="utf-8"
    )
    _dist(
        site,
        "fictional-broken-plugin",
        "0.1.0",
        f"[{ENTRY_POINT_GROUP}]\nbroken = fictional_broken_plugin:register\n",
    )
    return site


def _cli(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BHRSCORE_NO_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run(
        [sys.executable, "-c", "from bhrscore.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _broken_reported(stderr: str) -> None:
    assert "plug-in 'broken'" in stderr
    assert "fictional_broken_plugin:register" in stderr
    assert "RuntimeError: fictional failure" in stderr
    assert "Traceback" not in stderr


def test_the_cli_validates_and_scores_with_an_installed_plugin(site: Path) -> None:
    done = _cli(site, "validate", str(DEMO), "--format", "json")
    assert done.returncode == 0, done.stderr
    _broken_reported(done.stderr)
    assert "harassment" in done.stdout

    done = _cli(
        site,
        *("score", str(DEMO), "--rubric", str(DEMO / "rubric.yaml")),
        *("--as-of", "2025-06-30", "--format", "json", "-q"),
    )
    assert done.returncode == 0, done.stderr
    _broken_reported(done.stderr)
    totals = {c["company_id"]: c["total"] for c in json.loads(done.stdout)["companies"]}
    # share_resolved (the plug-in's derived column) on a linear 0..1 scale:
    # fictional-drilling 8 / 10 = 0.8 -> 80; example-services 12 / 20 = 0.6 -> 60
    assert totals == pytest.approx({"fictional-drilling": 80.0, "example-services": 60.0})


def test_the_cli_briefing_has_the_plugin_sheet(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "briefing.xlsx"
    done = _cli(
        site,
        *("brief", str(DEMO), "--rubric", str(DEMO / "rubric.yaml")),
        *("--as-of", "2025-06-30", "--out", str(out), "-q"),
    )
    assert done.returncode == 0, done.stderr
    _broken_reported(done.stderr)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[-1] == "Harassment"  # order 85: after the built-ins (10..80)
    rows = [[c.value for c in row] for row in book["Harassment"].iter_rows()]
    assert ["example-services", 1, 20] in rows  # one record of 20 complaints
    assert ["fictional-drilling", 1, 10] in rows


def test_without_the_plugin_its_kind_is_unknown(tmp_path: Path) -> None:
    empty = tmp_path / "empty-site"
    empty.mkdir()
    done = _cli(empty, "validate", str(DEMO))
    assert done.returncode == 1
    assert "harassment" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


# --- the loader in process ---------------------------------------------------------------


class FakeEntry:
    """Stands in for ``importlib.metadata.EntryPoint``."""

    def __init__(self, name: str, value: str, loaded: Any) -> None:
        self.name = name
        self.value = value
        self._loaded = loaded

    def load(self) -> Any:
        if isinstance(self._loaded, Exception):
            raise self._loaded
        return self._loaded


@pytest.fixture
def fresh_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader as if nothing had been loaded in this process (restored afterwards)."""
    monkeypatch.setattr(plugins_module, "_state", {"loaded": False, "statuses": ()})
    monkeypatch.delenv("BHRSCORE_NO_PLUGINS", raising=False)


def test_callables_are_called_once_and_failures_warn(
    monkeypatch: pytest.MonkeyPatch, fresh_state: None
) -> None:
    calls: list[str] = []
    entries = [
        FakeEntry("good", "pkg:register", lambda: calls.append("good")),
        FakeEntry("missing", "no_such_module", ModuleNotFoundError("No module named 'x'")),
    ]
    monkeypatch.setattr(
        plugins_module,
        "entry_points",
        lambda group: entries if group == ENTRY_POINT_GROUP else [],
    )
    with pytest.warns(PluginWarning, match=r"'missing' \(no_such_module") as caught:
        statuses = load_plugins()
    assert len(caught) == 1
    assert calls == ["good"]
    assert [(s.name, s.ok) for s in statuses] == [("good", True), ("missing", False)]
    assert statuses[1].error == "ModuleNotFoundError: No module named 'x'"
    assert load_plugins() == statuses  # once per process
    assert calls == ["good"]


def test_the_environment_variable_switches_plugins_off(
    monkeypatch: pytest.MonkeyPatch, fresh_state: None
) -> None:
    def boom(group: str) -> list[FakeEntry]:
        raise AssertionError("entry points must not be read")

    monkeypatch.setattr(plugins_module, "entry_points", boom)
    monkeypatch.setenv("BHRSCORE_NO_PLUGINS", "1")
    assert load_plugins() == ()


def test_a_class_or_module_entry_is_not_called() -> None:
    class Thing:
        def __init__(self) -> None:
            raise AssertionError("a class must not be instantiated")

    status = load_entry(FakeEntry("thing", "pkg:Thing", Thing), ENTRY_POINT_GROUP)  # type: ignore[arg-type]
    assert status.ok
    assert status.error is None


HARASSMENT_CASES = """
as_of: 2025-06-30
defaults:
  country: KZ
  summary: Fictional.
  sources: [{url: "https://example.org/x", title: Fictional}]
  status: verified
  reliability: high
  date: 2025-03-01
companies: [{id: a, name: A Fictional Drilling}]
cases:
  - name: half-resolved
    evidence: [{kind: harassment, id: h1, company_id: a, complaints: 10, resolved: 5}]
    expect: {a: {total: 50}}   # share_resolved 5 / 10 = 0.5 on linear 0..1 -> 50
"""


def test_the_pytest_plugin_sees_an_installed_plugin(
    site: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makefile(".yaml", harassment=(DEMO / "rubric.yaml").read_text("utf-8"))
    pytester.makefile(".cases.yaml", harassment=HARASSMENT_CASES)
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.delenv("BHRSCORE_NO_PLUGINS", raising=False)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*harassment.cases.yaml::half-resolved PASSED*"])
