#!/usr/bin/env python3
"""The scripted "ask" scenario end to end: every question forms one connected trace
api -> questions -> worker -> answers -> board; in busy mode a question waits in `questions`
at least the busy delay, and idle questions barely wait.

Usage: demo_test.py <build-dir>
"""
import os
import re
import subprocess
import sys
import tempfile

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
busy_ms = 1500
db = os.path.join(tempfile.mkdtemp(), "demo.db")
result = subprocess.run([os.path.join(build, "tools", "kafkatrace", "kafkatrace"), "demo", "--once",
                         "--busy-ms", str(busy_ms), "--questions", "3", "--db", db],
                        capture_output=True, text=True, timeout=300)
print(result.stdout)
assert result.returncode == 0, result.stderr
blocks = re.findall(r"\[(idle|busy)\] question \d+  trace ([0-9a-f]{32})  connected\n"
                    r"  hop questions: publish [\d.]+ ms, waiting ([\d.]+) ms", result.stdout)
assert len(blocks) == 6, blocks
idle_waits = [float(w) for mode, _, w in blocks if mode == "idle"]
busy_waits = [float(w) for mode, _, w in blocks if mode == "busy"]
assert all(w < 1000 for w in idle_waits), idle_waits
assert max(busy_waits) >= 2 * busy_ms * 0.95, busy_waits  # the third waited behind two
assert "waiting in topic questions: the consumer was busy" in result.stdout
# The first busy question did not wait: its time went into the worker's processing.
assert re.search(r"\[busy\] question \d+ .*\n(  .*\n)*?  diagnosis: 1\.5 s of 1\.5 s processing the record "
                 r"from topic questions in worker: the consumer's own work was slow", result.stdout), \
    "no processing diagnosis"
assert len({t for _, t, _ in blocks}) == 6  # one trace per question
print("demo scenario: 6 connected traces; idle waits %s ms, busy waits %s ms" % (idle_waits, busy_waits))
