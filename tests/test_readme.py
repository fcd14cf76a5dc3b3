"""The README's first-screen example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_follows_and_answers_an_interview(tmp_path: Path) -> None:
    """The first Python block of the README prints the dialogue, replies included."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    script = tmp_path / "example.py"
    script.write_text(blocks[0])

    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines.count("candidate Yes.") == 4
    assert lines[-1].startswith("company ")
