#!/usr/bin/env python3
"""Reports success with a result line whose numbers and fields are nonsense."""

import sys

sys.stdout.write(
    '{"type":"result","subtype":"success","is_error":false,"result":"done anyway",'
    '"total_cost_usd":Infinity,"usage":"lots","num_turns":1e999,"duration_ms":NaN,'
    '"session_id":42}\n'
)
