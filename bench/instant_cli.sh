#!/bin/sh
# The CLI stand-in for a machine without a C compiler (bench/native_cli.py picks it): the three
# lines of bench/instant_cli.py. `read` is a builtin: the prompt is read to its end without
# starting another process. It notes no start or end times.
while IFS= read -r line || [ -n "$line" ]; do :; done
s="bench-$$"
u='"usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":0,'
u="$u"'"cache_read_input_tokens":0}'
printf '%s\n' \
  "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"$s\",\"tools\":[],\"model\":\"instant\"}" \
  "{\"type\":\"assistant\",\"session_id\":\"$s\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],$u}}" \
  "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"ok\",\"total_cost_usd\":0.0001,$u,\"num_turns\":1,\"duration_ms\":1,\"session_id\":\"$s\"}"
