"""What ``bhrscore brief`` leaves unimported, and that the cheaper paths behave as before.

The start of every command is interpreter work under the GIL: modules a command never uses
are not imported (rich when nothing is printed through it, pycountry's package, the
sensitivity analysis and the evidence comparison for ``brief``). Each test here checks one of
those savings without timing anything, and that the path taken instead gives what the old one
gave (the same printed bytes, the same code lists, the same public names).
"""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from bhrscore.cli import common
from bhrscore.cli.common import _rich_adds_nothing, print_text
from bhrscore.cli.safe_text import safe
from bhrscore.evidence import codes

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "kazakhstan")


def _child(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


# --- what brief imports ---------------------------------------------------------------------


def _quiet_brief(out: Path) -> tuple[str, ...]:
    """The arguments of ``bhrscore brief --quiet`` of the example into ``out``."""
    return ("brief", EXAMPLE, "--as-of", "2026-11-23", "--quiet", "--out", str(out))


def test_brief_quiet_imports_neither_rich_nor_pycountry_nor_unused_analyses(
    tmp_path: Path,
) -> None:
    out = tmp_path / "b.xlsx"
    result = _child(
        """
        import sys
        from bhrscore.cli import main
        try:
            main(sys.argv[1:])
        except SystemExit as exc:
            code = exc.code
        unused = ("rich", "pycountry", "bhrscore.analysis.sensitivity",
                  "bhrscore.analysis.evidence_compare", "difflib")
        print(code, sorted(m for m in unused if m in sys.modules), file=sys.stderr)
        """,
        *_quiet_brief(out),
    )
    assert result.stderr.strip() == "0 []", result.stderr
    assert out.exists()
    # the one line it prints, written without rich, as rich wrote it (one line, a newline)
    assert result.stdout.startswith(f"Wrote {out} (8 sheets: 17 companies, ")
    assert result.stdout.endswith(").\n")
    assert result.stdout.count("\n") == 1


def test_brief_shows_errors_through_rich_as_before(tmp_path: Path) -> None:
    result = _child(
        "import sys; from bhrscore.cli import main; main(sys.argv[1:])",
        *_quiet_brief(tmp_path / "b.csv"),
    )
    assert result.returncode == 2
    assert result.stderr == f"error: --out must name an .xlsx file, not '{tmp_path / 'b.csv'}'\n"


# --- print_text: plain when rich would print the text unchanged ------------------------------


def _rich_prints(text: str, stderr: bool = False) -> str:
    buffer = io.StringIO()
    Console(file=buffer, stderr=stderr, highlight=False, soft_wrap=True).print(text, markup=False)
    return buffer.getvalue()


@pytest.fixture
def no_terminal_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_text_printed_plainly_is_what_rich_prints(text: str) -> None:
    shown = safe(text)
    if _rich_adds_nothing(shown, io.StringIO()):
        assert shown + "\n" == _rich_prints(shown)


@pytest.mark.usefixtures("no_terminal_variables")
@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Wrote b.xlsx (8 sheets: 17 companies; names redacted in 8 record(s)).", True),
        ("two\nlines", True),
        ("", True),
        ("C:\\briefings\\b.xlsx", True),
        ("Wrote :thumbs_up:.xlsx", False),  # rich shows an emoji
        ("a\tb", False),  # rich expands tabs
        ("a\rb", False),  # rich drops carriage returns
    ],
)
def test_print_text_writes_what_the_console_writes(
    text: str,
    plain: bool,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _rich_adds_nothing(text, io.StringIO()) is plain
    for made in (False, True):  # before the consoles are made (plain path) and after
        if not made:
            monkeypatch.delitem(common.__dict__, "console", raising=False)
            monkeypatch.delitem(common.__dict__, "err_console", raising=False)
        else:
            common.consoles()
        print_text(text)
        print_text(text, stderr=True)
        out, err = capsys.readouterr()
        assert out == _rich_prints(text)
        assert err == _rich_prints(text, stderr=True)


def test_a_terminal_or_forced_colour_goes_through_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    assert _rich_adds_nothing("text", io.StringIO())
    assert not _rich_adds_nothing("text", Terminal())
    assert not _rich_adds_nothing("text", None)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not _rich_adds_nothing("text", io.StringIO())


def test_consoles_are_made_once_and_shared() -> None:
    first = common.consoles()
    assert common.consoles() == first
    assert (common.console, common.err_console) == first
    assert first[1].stderr
    assert not first[0].stderr
    from bhrscore.cli.common import console

    assert console is first[0]
    with pytest.raises(AttributeError):
        common.no_such_console  # noqa: B018


@pytest.mark.parametrize("made", [False, True])
def test_a_closed_pipe_exits_1_on_either_path(made: bool) -> None:
    # the reader goes away before the line is written: rich makes that exit 1 (and sends
    # stdout to /dev/null); the plain path does the same
    code = f"""
        import sys, time
        from bhrscore.cli import common
        if {made}:
            common.consoles()
        time.sleep(0.5)
        common.print_text("Wrote b.xlsx")
        """
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    child.stdout.close()
    error = child.stderr.read().decode()
    assert child.wait(timeout=60) == 1
    assert "Traceback" not in error


# --- country and currency codes without importing pycountry ---------------------------------


def test_code_lists_from_the_database_files_are_pycountrys() -> None:
    import pycountry

    countries = codes._database_entries("iso3166-1.json", "3166-1")
    currencies = codes._database_entries("iso4217.json", "4217")
    assert countries is not None
    assert currencies is not None
    assert {e["alpha_2"] for e in countries} == {c.alpha_2 for c in pycountry.countries}
    assert {e["alpha_3"] for e in currencies} == {c.alpha_3 for c in pycountry.currencies}
    assert codes.country_codes() == frozenset(c.alpha_2 for c in pycountry.countries)
    assert codes.currency_codes() == frozenset(c.alpha_3 for c in pycountry.currencies)
    assert "KZ" in codes.country_codes()
    assert "KZT" in codes.currency_codes()


def test_code_lists_fall_back_to_pycountry(monkeypatch: pytest.MonkeyPatch) -> None:
    import pycountry

    expected = frozenset(c.alpha_2 for c in pycountry.countries)
    assert codes._database_entries("no-such-file.json", "3166-1") is None
    assert codes._database_entries("iso3166-1.json", "no-such-root") is None
    monkeypatch.setattr(codes, "_database_entries", lambda *_: None)
    for name in [m for m in sys.modules if m.split(".")[0] == "pycountry"]:
        monkeypatch.delitem(sys.modules, name)  # the file path is tried, then pycountry
    assert codes._pycountry_codes("countries", "x.json", "3166-1", "alpha_2") == expected


def test_checking_codes_does_not_import_pycountry_but_a_bad_code_does() -> None:
    result = _child(
        """
        import sys
        from bhrscore.evidence.codes import check_country, check_currency
        check_country("KZ"); check_currency("KZT")
        print("pycountry" in sys.modules)
        try:
            check_country("Kazakhstan")
        except ValueError as exc:
            print(exc)
        print("pycountry" in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    before, message, after = result.stdout.strip().splitlines()
    assert (before, after) == ("False", "True")
    assert "'KZ'" in message  # the hint still comes from pycountry's lookup


# --- bhrscore.analysis: lazy names, same values ----------------------------------------------


def test_analysis_imports_sensitivity_and_evidence_comparison_on_first_use() -> None:
    result = _child(
        """
        import sys
        import bhrscore.analysis as analysis
        lazy = ("bhrscore.analysis.sensitivity", "bhrscore.analysis.evidence_compare")
        print([m in sys.modules for m in lazy])
        import bhrscore.analysis.sensitivity  # the submodule: the name stays the function
        from bhrscore.analysis import sensitivity, compare_evidence, Sensitivity
        import bhrscore
        print(callable(sensitivity), sensitivity is bhrscore.sensitivity,
              analysis.sensitivity is sensitivity, Sensitivity.__name__,
              compare_evidence is bhrscore.compare_evidence,
              sorted(set(analysis.__all__) - set(dir(analysis))))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[False, False]",
        "True True True Sensitivity True []",
    ]


def test_analysis_unknown_name_is_an_attribute_error() -> None:
    import bhrscore.analysis as analysis

    with pytest.raises(AttributeError, match="no_such_name"):
        analysis.no_such_name  # noqa: B018
    for name in analysis.__all__:
        assert getattr(analysis, name) is not None


# --- plug-in discovery without importlib.metadata when nothing declares the group ------------


@pytest.fixture
def only_sites(monkeypatch: pytest.MonkeyPatch) -> None:
    """No sys.path entries yet (the tests add the site directories they build) and Python's
    own distribution finder only. The test run may hold more: a zip on sys.path, or the
    ``importlib_metadata`` backport (dask imports it), whose finder joins ``sys.meta_path``
    and removes ``find_distributions`` from Python's; either sends every group to the full
    scan, which would hide what these tests check."""
    import importlib.machinery
    import importlib.metadata

    finder = importlib.machinery.PathFinder

    def find_distributions(*args: object, **kwargs: object) -> object:
        return importlib.metadata.MetadataPathFinder.find_distributions(*args, **kwargs)

    if not hasattr(finder, "find_distributions"):
        monkeypatch.setattr(finder, "find_distributions", find_distributions, raising=False)
    monkeypatch.setattr(sys, "path", [])
    kept = [f for f in sys.meta_path if f is finder or not hasattr(f, "find_distributions")]
    monkeypatch.setattr(sys, "meta_path", kept)


def _site_with(tmp_path: Path, group: str, name: str = "fictional_plugin") -> Path:
    site = tmp_path / "site"
    info = site / f"{name}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(f"[{group}]\nthing = {name}\n", "utf-8")
    return site


def test_may_declare_is_true_whenever_importlib_metadata_finds_entry_points() -> None:
    from bhrscore.plugins import may_declare

    groups = ["console_scripts", "pytest11", "pydantic", "bhrscore.plugins", "fictional.other"]
    for group in groups:  # the installed distributions of this run, whatever they are
        if len(entry_points(group=group)) > 0:
            assert may_declare(group), group


@pytest.mark.usefixtures("only_sites")
def test_may_declare_reads_the_entry_points_of_the_sites(tmp_path: Path) -> None:
    from bhrscore.plugins import may_declare

    sys.path.append(str(_site_with(tmp_path / "a", "fictional.group")))
    sys.path.append(str(_site_with(tmp_path / "b", "other.group", "other_plugin")))
    sys.path.append(str(tmp_path / "missing"))
    found = {g: len(entry_points(group=g)) for g in ("fictional.group", "other.group", "none")}
    assert found == {"fictional.group": 1, "other.group": 1, "none": 0}
    assert may_declare("fictional.group")
    assert may_declare("other.group")
    assert not may_declare("none")
    assert not may_declare("fictional.other")


@pytest.mark.usefixtures("only_sites")
def test_may_declare_leaves_zips_eggs_and_other_finders_to_the_full_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bhrscore.plugins import may_declare

    assert not may_declare("fictional.other")
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("fictional_plugin-0.1.0.dist-info/entry_points.txt", "[fictional.other]\n")
    with monkeypatch.context() as m:
        m.syspath_prepend(str(archive))
        assert may_declare("fictional.other")
    with monkeypatch.context() as m:
        m.syspath_prepend(str(tmp_path / "fictional.egg"))
        assert may_declare("fictional.other")

    class Finder:
        @staticmethod
        def find_distributions(*_args: object, **_kwargs: object) -> list[object]:
            return []

    with monkeypatch.context() as m:
        m.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
        assert may_declare("fictional.other")


def test_no_declared_plugins_need_no_importlib_metadata(tmp_path: Path) -> None:
    code = """
        import sys
        from bhrscore.plugins import ENTRY_POINT_GROUP, entry_points
        print(list(entry_points(ENTRY_POINT_GROUP)), "importlib.metadata" in sys.modules)
        sys.path.insert(0, sys.argv[1])
        print([e.name for e in entry_points(ENTRY_POINT_GROUP)])
        """
    result = _child(code, str(_site_with(tmp_path, "bhrscore.plugins")))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[] False", "['thing']"]


def test_pydantic_plugins_are_not_scanned_for_when_none_is_declared(tmp_path: Path) -> None:
    code = """
        import sys
        from pydantic.plugin import _loader

        def scan(**_):
            raise AssertionError("pydantic scanned the distributions")

        _loader.entry_points = scan
        import bhrscore.evidence.model
        print(list(_loader.get_plugins()))
        """
    result = _child(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_declared_pydantic_plugins_are_still_loaded(tmp_path: Path) -> None:
    site = tmp_path / "site"
    info = site / "fictional_pydantic_plugin-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fictional-pydantic-plugin\nVersion: 0.1.0\n", "utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[pydantic]\nfictional = fictional_pydantic_plugin:plugin\n", "utf-8"
    )
    (site / "fictional_pydantic_plugin.py").write_text(
        "SEEN = []\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, schema, schema_type, *args, **kwargs):\n"
        "        SEEN.append(getattr(schema_type, '__name__', '?'))\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n",
        "utf-8",
    )
    code = """
        import sys
        sys.path.insert(0, sys.argv[1])
        from bhrscore.evidence.model import Company
        import fictional_pydantic_plugin
        print("Company" in fictional_pydantic_plugin.SEEN)
        """
    result = _child(code, str(site))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
