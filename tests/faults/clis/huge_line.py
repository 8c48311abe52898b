#!/usr/bin/env python3
"""Prints a 10 MB line (a tool result holding a whole file), then a normal result."""

import json

HUGE_TEXT_BYTES = 10 * 1024 * 1024


def huge_line() -> str:
    text = "".join(f"{n:09d}\n" for n in range(HUGE_TEXT_BYTES // 10))
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": text}
    return json.dumps({"type": "user", "message": {"role": "user", "content": [result]}})


if __name__ == "__main__":
    print(json.dumps({"type": "system", "subtype": "init", "session_id": "s1"}))
    print(huge_line())
    print(
        json.dumps(
            {
                "type": "result",
                "subtype": "success",
                "is_error": False,
                "result": "read it all",
                "total_cost_usd": 0.001,
                "usage": {"input_tokens": 1, "output_tokens": 1},
                "num_turns": 1,
                "duration_ms": 5,
                "session_id": "s1",
            },
            separators=(",", ":"),
        )
    )
