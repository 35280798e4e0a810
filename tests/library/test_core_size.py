"""The core stays small: reverse mode is learnable from tracer.py and reverse.py alone."""

import ast
import io
import tokenize
from pathlib import Path

import autodidact

LIMIT = 380  # lines of code in tracer.py + reverse.py, docstrings and comments not counted


def lines_of_code(path: Path) -> int:
    """Lines holding code: not blank, not only a comment, not inside a docstring."""
    source = path.read_text()
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(
                getattr(first, "value", None), ast.Constant
            ):
                if isinstance(first.value.value, str):
                    docstrings.update(range(first.lineno, first.end_lineno + 1))
    code = set()
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skipped | {tokenize.ENDMARKER}:
            code.update(range(token.start[0], token.end[0] + 1))
    return len(code - docstrings)


def test_tracer_and_reverse_stay_under_the_limit():
    package = Path(autodidact.__file__).parent
    total = sum(lines_of_code(package / name) for name in ("tracer.py", "reverse.py"))
    assert total < LIMIT, f"tracer.py + reverse.py hold {total} lines of code (limit {LIMIT})"


def test_the_counter_skips_docstrings_comments_and_blank_lines(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Doc."""\n\n# note\ndef f(x):\n    """Doc\n    more."""\n    return x  # why\n'
    )
    assert lines_of_code(sample) == 2
