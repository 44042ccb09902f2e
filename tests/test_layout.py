"""The package's layout rules: the toolkit apart from the studies, modules of one concept, no private imports."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "aeutils"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _is_toolkit(path: pathlib.Path) -> bool:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] != "studies" and rel.name not in ("cli.py", "__main__.py")


def _imported_modules(tree: ast.AST) -> list[str]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            out.append(node.module or "")
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
    return out


@pytest.mark.parametrize("path", [p for p in MODULES if _is_toolkit(p)], ids=lambda p: str(p.relative_to(ROOT)))
def test_toolkit_never_imports_a_study(path):
    tree = ast.parse(path.read_text())
    studies = [m for m in _imported_modules(tree) if m.startswith("aeutils.studies")]
    assert not studies, f"{path.name} (toolkit) imports {studies}"
    dynamic = [
        n.args[0].value
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and getattr(n.func, "attr", getattr(n.func, "id", "")) in ("import_module", "__import__")
        and n.args
        and isinstance(n.args[0], ast.Constant)
        and str(n.args[0].value).startswith("aeutils.studies")
    ]
    assert not dynamic, f"{path.name} (toolkit) imports {dynamic} dynamically"


def test_only_cli_registers_commands():
    registering = [p.name for p in MODULES if "add_subparsers(" in p.read_text() and p.name != "cli.py"]
    assert not registering, registering
    from aeutils.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    assert {"report", "compare"} <= set(commands)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path):
    lines = len(path.read_text().splitlines())
    assert lines <= 700, f"{path.name}: {lines} lines"
    if lines > 600:
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert "600 lines" in doc, f"{path.name}: {lines} lines and no reason at its top"


def test_every_package_says_what_is_in_it():
    for init in PACKAGE.rglob("__init__.py"):
        assert ast.get_docstring(ast.parse(init.read_text())), f"{init} has no docstring"


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES] + sorted((ROOT / "benchmarks").glob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_private_names_across_modules(path):
    tree = ast.parse(path.read_text())
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aeutils"):
            private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            assert not private, f"{path.name} imports private {private} from {node.module}"
            for a in node.names:
                aliases[a.asname or a.name] = node.module
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("aeutils"):
                    aliases[(a.asname or a.name).split(".")[0]] = a.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            if node.attr.startswith("_") and not node.attr.startswith("__"):
                pytest.fail(f"{path.name}:{node.lineno} uses private {node.value.id}.{node.attr}")


def test_benchmarks_import_the_package_not_a_path():
    for path in (ROOT / "benchmarks").glob("*.py"):
        assert "sys.path.insert" not in path.read_text(), path.name
