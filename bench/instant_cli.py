#!/usr/bin/env python3
"""A tiny instant stand-in for the claude CLI: prints a valid stream-json `init`, one
`assistant` line and a `result`, at once. Selected with CLAUDE_CLI_PATH, it isolates the
system's own cost from the CLI's."""

import json
import sys
import uuid

prompt = sys.stdin.read()  # like the real CLI, `-p` with no argument reads the prompt here
session = str(uuid.uuid4())
usage = {
    "input_tokens": 10,
    "output_tokens": 5,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
}
lines = [
    {"type": "system", "subtype": "init", "session_id": session, "tools": [], "model": "instant"},
    {
        "type": "assistant",
        "session_id": session,
        "message": {
            "role": "assistant",
            "content": [{"type": "text", "text": f"ok: {prompt[:80]}"}],
            "usage": usage,
        },
    },
    {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "result": f"ok: {prompt[:80]}",
        "total_cost_usd": 0.0001,
        "usage": usage,
        "num_turns": 1,
        "duration_ms": 1,
        "session_id": session,
    },
]
sys.stdout.write("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
