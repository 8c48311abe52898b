#!/usr/bin/env python3
"""The CLI the misbehaving-CLI tests select (CLAUDE_CLI_PATH). Like the real CLI it reads the
prompt on stdin. A prompt that starts with `@cli NAME` runs the stand-in NAME.py of this folder
in its place (same pid, the prompt on stdin again); any other prompt runs bench/instant_cli.py,
a well-behaved instant CLI."""

import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    prompt = sys.stdin.read()
    match = re.match(r"@cli ([a-z_]+)", prompt)
    script = HERE / f"{match[1]}.py" if match else HERE.parents[2] / "bench" / "instant_cli.py"
    read_end, write_end = os.pipe()
    os.write(write_end, prompt.encode())  # the tests' prompts are short: they fit in the pipe
    os.close(write_end)
    os.dup2(read_end, sys.stdin.fileno())
    os.execv(script, [str(script), *sys.argv[1:]])
