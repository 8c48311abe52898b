#!/usr/bin/env python3
"""Reports a result and exits 0, leaving a child in a session of its own that holds its stdout
open and lives on."""

import json
import subprocess
import sys

subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(300)"],
    start_new_session=True,
)
result = {"type": "result", "subtype": "success", "is_error": False, "result": "left a child"}
print(json.dumps(result, separators=(",", ":")), flush=True)
