"""The layers of docs/architecture.md hold: import-linter's contracts in pyproject.toml are kept (function-local
imports included), and the same contracts report an upward import as broken."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def lint_imports(config: Path) -> subprocess.CompletedProcess:
    beside_python = Path(sys.executable).with_name("lint-imports")
    command = str(beside_python) if beside_python.exists() else shutil.which("lint-imports")
    assert command, "lint-imports is not installed (pip install -e '.[dev]')"
    return subprocess.run(
        [command, "--no-cache", "--no-logo", str(config)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_the_import_contracts_are_kept():
    result = lint_imports(PYPROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_import_from_a_higher_layer_breaks_the_contract(tmp_path):
    """The same contracts with accounts put above issues: issues' real imports of the accounts models are now
    upward, and lint-imports must fail naming them. (Every layer is made optional here, so this check does not
    depend on which packages exist.)"""
    text = PYPROJECT.read_text()
    layers = re.search(r"^layers = \[\n(.*?)^\]", text, re.S | re.M)
    assert layers, "the layers contract is missing from pyproject.toml"
    body = layers.group(1)
    assert '    "issues",\n' in body and '    "accounts",\n' in body
    swapped = body.replace('    "issues",\n', '    "@@",\n').replace('    "accounts",\n', '    "issues",\n')
    swapped = swapped.replace('    "@@",\n', '    "accounts",\n')
    optional = "".join(
        re.sub(r'(?<=[" |:])([a-z0-9_]+)(?=[" |:])', r"(\1)", line) if line.lstrip().startswith('"') else line
        for line in swapped.splitlines(keepends=True)
    )
    config = tmp_path / "pyproject.toml"
    config.write_text(text.replace(body, optional))

    result = lint_imports(config)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "civic.issues is not allowed to import civic.accounts" in result.stdout, result.stdout


def _calls_in_civic(pattern: str) -> list[str]:
    """Lines of civic/ (outside civic/database.py, which owns the unit of work) that match `pattern`."""
    found = []
    for path in sorted((ROOT / "civic").rglob("*.py")):
        if path == ROOT / "civic" / "database.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(pattern, line.split("#")[0]):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_only_the_unit_of_work_commits_or_rolls_back():
    """Services flush; the request, unit_of_work() and independent_transaction() (civic/database.py) are the
    only places a transaction ends, so no view, service, receiver or job commits or rolls back by hand."""
    assert _calls_in_civic(r"\.(commit|rollback)\(\)") == []


def test_flask_g_carries_no_domain_data():
    """g holds only request plumbing (the CSP nonce, the bearer-token flag, Flask-Login's user, Babel's state)."""
    allowed = {"csp_nonce", "get", "setdefault", "_login_user"}
    uses = [
        line
        for line in _calls_in_civic(r"\bg\.[a-z_]+")
        if set(re.findall(r"\bg\.([a-z_]+)", line.split(": ", 1)[1])) - allowed
    ]
    assert uses == []
