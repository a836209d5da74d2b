#!/usr/bin/env python3
"""The scripted "ask" scenario end to end: every question forms one connected trace
api -> questions -> worker -> answers -> board; in busy mode a question waits in `questions`
at least the busy delay, and idle questions barely wait. Then the same on a separate broker
process given with --brokers, as a real cluster would be.

Usage: demo_test.py <build-dir>
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

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
# The services' messaging metrics reached the viewer: every question (the warm-up too) counted.
metrics = re.search(r"api sent (\d+) questions; worker processed (\d+), p50 ([\d.]+) ms, p99 ([\d.]+) ms",
                    result.stdout)
assert metrics, "no metrics line"
assert int(metrics.group(1)) == 7 and int(metrics.group(2)) == 7, metrics.group(0)
# The busy ones took 1.5 s each: their bucket is (1 s, 2.5 s], and p99 falls in it.
assert 1000 <= float(metrics.group(4)) <= 2500, metrics.group(0)
print("demo scenario: 6 connected traces; idle waits %s ms, busy waits %s ms" % (idle_waits, busy_waits))

# The same demo on a cluster of its own (--brokers), as on a real Kafka: a separate broker
# process it does not control. Every question still forms one trace; the outage control is
# refused with a reason, since the demo may only take its embedded broker down.
kafkatrace = os.path.join(build, "tools", "kafkatrace", "kafkatrace")
broker = subprocess.Popen([kafkatrace, "broker", "--port", "0", "--topic", "questions:1", "--topic", "answers:1"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    bootstrap = broker.stdout.readline().strip()
    result = subprocess.run([kafkatrace, "demo", "--once", "--busy-ms", "500", "--questions", "1",
                             "--brokers", bootstrap, "--db", os.path.join(tempfile.mkdtemp(), "demo.db")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all 2 questions formed one connected trace each" in result.stdout, result.stdout
    demo = subprocess.Popen([kafkatrace, "demo", "--api-port", "0", "--board-port", "0", "--brokers", bootstrap,
                             "--db", os.path.join(tempfile.mkdtemp(), "demo.db")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        api = demo.stdout.readline().split()[-1]
        with urllib.request.urlopen(api + "api/broker", timeout=10) as r:
            assert json.loads(r.read()) == {"up": True, "embedded": False}
        try:
            urllib.request.urlopen(urllib.request.Request(api + "api/broker", data=b'{"up": false}', method="POST"),
                                   timeout=10)
            raise AssertionError("a real cluster's broker was 'taken down'")
        except urllib.error.HTTPError as e:
            assert e.code == 409 and "only its embedded broker" in json.loads(e.read())["error"], e.code
    finally:
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=30) == 0
finally:
    broker.terminate()
    broker.wait(timeout=10)
unreachable = subprocess.run([kafkatrace, "demo", "--brokers", "localhost:1", "--db",
                              os.path.join(tempfile.mkdtemp(), "demo.db")],
                             capture_output=True, text=True, timeout=60)
assert unreachable.returncode == 1 and "cannot reach Kafka at localhost:1" in unreachable.stderr, unreachable.stderr
print("demo on an external cluster (--brokers): 2 connected traces; unreachable brokers refused")
