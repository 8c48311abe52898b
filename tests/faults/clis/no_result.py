#!/usr/bin/env python3
"""Starts like the CLI, says why it gives up on stderr, and exits 1 without a result."""

import json
import sys

print(json.dumps({"type": "system", "subtype": "init", "session_id": "s1"}), flush=True)
print(json.dumps({"type": "assistant", "message": {"content": []}}), flush=True)
print("stand-in: lost the connection to the model", file=sys.stderr)
sys.exit(1)
