"""Every action code the code base records in the activity log has a label to be read."""

import ast
from pathlib import Path

from perisco.core.audit import ACTION_LABELS

ROOT = Path(__file__).resolve().parents[2]


def recorded_actions() -> dict[str, str]:
    """Every action code written as a literal in an `action=` argument outside the tests
    (audit_log, record_decision and the helpers that pass it on): code → file."""
    found: dict[str, str] = {}
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg != "action":
                    continue
                for value in ast.walk(keyword.value):
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found[value.value] = str(path.relative_to(ROOT))
    return found


def test_every_recorded_action_has_a_label():
    actions = recorded_actions()
    assert len(actions) > 20  # the walk does find them
    missing = {code: path for code, path in actions.items() if code not in ACTION_LABELS}
    assert not missing, f"add these to core.audit.ACTION_LABELS: {missing}"
