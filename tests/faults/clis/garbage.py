#!/usr/bin/env python3
"""Prints lines no CLI should print, none of them a result, and exits 0."""

import sys

out = sys.stdout.buffer
out.write(b"this is not json\n")
out.write(b'{"type": "assistant", "message": {"content": [\n')  # cut short
out.write(b"\xff\xfe not UTF-8 \x00 with a NUL\n")
out.write(b"[1, 2, 3]\n")
out.write(b'{"type":"result"\n')  # looks like a result line, is not JSON
out.write(b"\n")
out.write(b"the last line has no newline")
out.flush()
