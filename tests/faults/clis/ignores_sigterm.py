#!/usr/bin/env python3
"""Ignores SIGTERM, and so does the helper it starts in a session of its own; both wait."""

import json
import signal
import subprocess
import sys
import time

STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"

signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", STUBBORN], start_new_session=True)
print(json.dumps({"type": "system", "subtype": "init", "session_id": "s1"}), flush=True)
time.sleep(300)
