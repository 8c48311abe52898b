#!/usr/bin/env python3
"""Starts like the CLI, then dies of a segmentation fault."""

import json
import os
import signal

print(json.dumps({"type": "system", "subtype": "init", "session_id": "s1"}), flush=True)
os.kill(os.getpid(), signal.SIGSEGV)
