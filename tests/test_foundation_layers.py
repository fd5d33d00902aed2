"""No molkit module imports from a layer above its own: the order ``docs/design.md`` draws, read
here from the sources with ``ast`` (imports inside functions count too)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "molkit"


def layers() -> list[list[str]]:
    """The layers of ``docs/design.md``'s diagram, lowest first: the fenced block under
    "## Layers", one line a layer, parts separated by spaces (``name`` a module or package of
    molkit)."""
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    block = re.search(r"## Layers\n.*?```\n(.*?)```", text, re.S)
    assert block, "docs/design.md has no '## Layers' block"
    rows = [line.split(":", 1)[1].split() for line in block.group(1).strip().splitlines()]
    return rows[::-1]  # the diagram is drawn top (highest) first


def part_of(module: str) -> str:
    """``molkit.train.loso`` -> ``train``; ``molkit.metrics`` -> ``metrics``; ``molkit`` -> ``molkit``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports(path: Path) -> set[str]:
    """The molkit modules a source file imports (absolute imports; molkit uses no relative ones)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "molkit":
            found.add(node.module if node.module != "molkit" else f"molkit.{node.names[0].name}")
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "molkit"}
    return found


def test_every_part_of_molkit_has_a_layer():
    placed = {name for layer in layers() for name in layer}
    parts = {
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if p.suffix == ".py" or (p / "__init__.py").is_file()
    }
    assert parts - {"__init__", "__main__"} == placed - {"molkit"}


def test_no_module_imports_from_a_layer_above_its_own():
    rank = {name: i for i, layer in enumerate(layers()) for name in layer}
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        own = part_of(module) if path.name != "__init__.py" or path.parent != PACKAGE else "molkit"
        if own in ("__init__", "__main__"):
            continue
        for target in imports(path):
            other = part_of(target)
            if other != own and rank[other] > rank[own]:
                wrong.append((path.relative_to(ROOT).as_posix(), target))
    assert not wrong, "\n".join(f"{p} imports {t}" for p, t in sorted(set(wrong)))


def test_the_checker_sees_an_import_from_above(tmp_path):
    """The checker is not blind: a module low in the order importing one above is found."""
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from molkit.reports import tables\n    import molkit.train.loso\n")
    assert imports(source) == {"molkit.reports", "molkit.train.loso"}
    rank = {name: i for i, layer in enumerate(layers()) for name in layer}
    assert rank["reports"] > rank["train"] > rank["data"] > rank["config"]
