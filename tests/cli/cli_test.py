#!/usr/bin/env python3
"""Drives the real `kafkatrace` binary against its embedded broker (and kcat, for interop).

Usage: cli_test.py <build-dir>
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BUILD = sys.argv.pop(1) if len(sys.argv) > 1 else "build"
KAFKATRACE = os.path.join(BUILD, "tools", "kafkatrace", "kafkatrace")
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def run(*args, stdin=None, timeout=60, env=None):
    return subprocess.run([KAFKATRACE, *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=None if env is None else {**os.environ, **env})


class MetricsReceiver(http.server.BaseHTTPRequestHandler):
    """Keeps every OTLP/JSON metrics request's data points: (metric name, attributes, point)."""
    points = []

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        for rm in request.get("resourceMetrics", []):
            for sm in rm["scopeMetrics"]:
                for metric in sm["metrics"]:
                    data = metric.get("sum") or metric.get("histogram")
                    for point in data["dataPoints"]:
                        attributes = {a["key"]: next(iter(a["value"].values())) for a in point["attributes"]}
                        MetricsReceiver.points.append((metric["name"], attributes, point))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = subprocess.Popen(
            [KAFKATRACE, "broker", "--port", "0", "--topic", "questions:2", "--topic", "plain",
             "--topic", "lagged:1", "--topic", "from-kcat:1", "--topic", "to-kcat:1", "--topic", "bad-headers:1",
             "--topic", "binary:1", "--topic", "with-baggage:1", "--topic", "measured:1",
             "--topic", "props:1", "--topic", "positioned:2", "--topic", "by-trace:1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.bootstrap = cls.broker.stdout.readline().strip()
        assert cls.bootstrap.startswith("localhost:"), cls.bootstrap

    @classmethod
    def tearDownClass(cls):
        cls.broker.terminate()
        cls.broker.wait(timeout=10)
        cls.broker.stdout.close()

    def consume(self, topic, *extra):
        result = run("consume", "-b", self.bootstrap, "-t", topic, "--from-beginning",
                     "--timeout-ms", "3000", *extra)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def test_produce_then_consume_decodes_a_known_traceparent(self):
        result = run("produce", "-b", self.bootstrap, "-t", "plain", "-k", "user-7",
                     "-H", "content-type=text/plain",
                     "--traceparent", TRACEPARENT, "why is the sky blue?")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "trace-id: 4bf92f3577b34da6a3ce929d0e0e4736")
        text = self.consume("plain", "--count", "1")
        self.assertIn("key: user-7", text)
        self.assertIn("value: why is the sky blue?", text)
        self.assertIn("header content-type: text/plain", text)
        self.assertRegex(text, r"traceparent: version 00 \| trace-id 4bf92f3577b34da6a3ce929d0e0e4736"
                               r" \| parent span-id [0-9a-f]{16} \| flags 01 \(sampled: yes\)")
        self.assertNotIn("00f067aa0ba902b7", text)  # the incoming parent id is never sent on
        self.assertRegex(text, r"waited \d+\.\d{3} s in Kafka")

        records = [json.loads(line) for line in self.consume("plain", "--count", "1", "--json").splitlines()]
        self.assertEqual(len(records), 1)
        r = records[0]
        self.assertEqual(r["key"], "user-7")
        self.assertEqual(r["value"], "why is the sky blue?")
        self.assertEqual(r["traceparent"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736")
        self.assertEqual(r["traceparent"]["version"], "00")
        self.assertEqual(r["traceparent"]["flags"], "01")
        self.assertTrue(r["traceparent"]["sampled"])
        self.assertTrue(r["traceparent"]["valid"])
        self.assertIn(r["traceparent"]["parent_span_id"], text)  # same value in both forms
        self.assertEqual(r["partition"], 0)
        self.assertGreaterEqual(r["queue_wait_ms"], 0)
        self.assertEqual({"key": "content-type", "value": "text/plain"}, r["headers"][0])

    def test_messaging_metrics_when_asked(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MetricsReceiver)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = {"OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/json",
               "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://127.0.0.1:%d/v1/metrics" % server.server_address[1]}
        try:
            result = run("produce", "-b", self.bootstrap, "-t", "measured", "a", "b", "c", env=env)
            self.assertEqual(result.returncode, 0, result.stderr)
            # Exported as the command ends, long before the 60 s interval.
            sent = [(a, p) for name, a, p in MetricsReceiver.points if name == "messaging.client.sent.messages"]
            self.assertEqual(len(sent), 1, MetricsReceiver.points)
            self.assertEqual(sent[0][1]["asInt"], "3")
            self.assertEqual(sent[0][0]["messaging.destination.name"], "measured")
            result = run("consume", "-b", self.bootstrap, "-t", "measured", "--from-beginning", "--count", "3",
                         "-g", "measuring", "--timeout-ms", "5000", env=env)
            self.assertEqual(result.returncode, 0, result.stderr)
            consumed = [(a, p) for name, a, p in MetricsReceiver.points
                        if name == "messaging.client.consumed.messages"]
            self.assertEqual(sum(int(p["asInt"]) for _, p in consumed), 3)
            self.assertEqual({a["messaging.consumer.group.name"] for a, _ in consumed}, {"measuring"})
            processed = [p for name, a, p in MetricsReceiver.points if name == "messaging.process.duration"]
            self.assertEqual(sum(int(p["count"]) for p in processed), 3)
        finally:
            server.shutdown()
        # Off unless asked, and a bad value is a clear error.
        result = run("produce", "-b", self.bootstrap, "-t", "measured", "x",
                     env={"OTEL_METRICS_EXPORTER": "statsd"})
        self.assertEqual(result.returncode, 2)
        self.assertIn("OTEL_METRICS_EXPORTER=\"statsd\": expected otlp or none", result.stderr)

    def test_new_trace_per_run_and_stdin_values(self):
        result = run("produce", "-b", self.bootstrap, "-t", "questions", stdin="one\ntwo\nthree\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        trace_id = result.stdout.split()[-1]
        self.assertRegex(trace_id, r"^[0-9a-f]{32}$")
        records = [json.loads(l) for l in self.consume("questions", "--json", "--count", "3").splitlines()]
        self.assertEqual(sorted(r["value"] for r in records), ["one", "three", "two"])
        for r in records:
            self.assertEqual(r["traceparent"]["trace_id"], trace_id)
            self.assertEqual(r["traceparent"]["flags"], "03")  # sampled + random trace id

    def test_lag_matches_a_consumer_that_read_part_of_a_topic(self):
        topic = "lagged"
        result = run("produce", "-b", self.bootstrap, "-t", topic, "--count", "10", "x")
        self.assertEqual(result.returncode, 0, result.stderr)
        read = run("consume", "-b", self.bootstrap, "-t", topic, "-g", "readers",
                   "--from-beginning", "--count", "4", "--json", timeout=120)
        self.assertEqual(read.returncode, 0, read.stderr)
        self.assertEqual(len(read.stdout.splitlines()), 4)
        time.sleep(0.5)
        lag = run("lag", "-b", self.bootstrap, "-g", "readers")
        self.assertEqual(lag.returncode, 0, lag.stderr)
        rows = [l.split() for l in lag.stdout.splitlines()[1:]]
        self.assertEqual(len(rows), 1, lag.stdout)
        name, partition, committed, high, records, seconds = rows[0]
        self.assertEqual((name, partition, committed, high, records), (topic, "0", "4", "10", "6"))
        self.assertGreaterEqual(float(seconds), 0.0)
        lag = run("lag", "-b", self.bootstrap, "-g", "readers", "--json")
        self.assertEqual(lag.returncode, 0, lag.stderr)
        [row] = json.loads(lag.stdout)
        self.assertEqual({k: row[k] for k in ("topic", "partition", "committed", "high_watermark", "lag")},
                         {"topic": topic, "partition": 0, "committed": 4, "high_watermark": 10, "lag": 6})
        self.assertGreaterEqual(row["lag_seconds"], 0.0)

    def test_consume_only_the_records_of_one_trace(self):
        for args in (["--traceparent", TRACEPARENT, "mine"], ["not mine"], ["--traceparent", TRACEPARENT, "mine too"]):
            self.assertEqual(run("produce", "-b", self.bootstrap, "-t", "by-trace", *args).returncode, 0)
        records = [json.loads(l) for l in
                   self.consume("by-trace", "--json", "--trace-id", "4BF92F3577B34DA6A3CE929D0E0E4736").splitlines()]
        self.assertEqual([r["value"] for r in records], ["mine", "mine too"])
        # --count counts the records shown.
        self.assertEqual(len(self.consume("by-trace", "--json", "--count", "1", "--trace-id",
                                          "4bf92f3577b34da6a3ce929d0e0e4736").splitlines()), 1)
        result = run("consume", "-b", self.bootstrap, "-t", "by-trace", "--trace-id", "4bf92f35")
        self.assertEqual(result.returncode, 2)
        self.assertIn('malformed --trace-id "4bf92f35": expected 32 hex digits, not all zero', result.stderr)

    def test_errors_name_the_problem_and_exit_non_zero(self):
        cases = [
            (["produce", "-b", "localhost:1", "-t", "x", "v"], 1, "cannot reach Kafka at localhost:1"),
            (["consume", "-b", self.bootstrap, "-t", "no-such-topic"], 1, 'unknown topic "no-such-topic"'),
            (["produce", "-b", self.bootstrap, "-t", "plain", "-H", "nameonly", "v"], 2,
             'malformed --header "nameonly"'),
            (["produce", "-b", self.bootstrap, "-t", "plain", "--traceparent",
              "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "v"], 2, "malformed --traceparent"),
            (["lag", "-b", self.bootstrap, "-g", "never-committed"], 1, "has no committed offsets"),
            # Trace headers are the producer's to write: given as headers they would be lost.
            (["produce", "-b", self.bootstrap, "-t", "plain", "-H", "TraceParent=" + TRACEPARENT, "v"], 2,
             "--header TraceParent would be replaced by the record's own trace context; use --traceparent"),
            (["produce", "-b", self.bootstrap, "-t", "plain", "-H", "baggage=a=1", "v"], 2,
             "use --baggage"),
            (["produce", "-b", self.bootstrap, "-t", "plain", "--baggage", "bad key=1", "v"], 2,
             'malformed --baggage "bad key=1"'),
            (["produce", "-b", self.bootstrap, "-t", "no way", "v"], 1,
             'topic name "no way" has a character Kafka does not allow'),
            (["consume", "-b", self.bootstrap, "-t", "x" * 250], 1, "Kafka allows at most 249"),
            (["consume", "-b", self.bootstrap, "-t", "plain", "--count", "0"], 105,
             '--count: must be a whole number of at least 1, not "0"'),
            (["broker", "--port", "0", "--topic", "a:3x"], 2,
             'bad --topic "a:3x": expected NAME or NAME:PARTITIONS with PARTITIONS from 1 to 1000'),
            (["broker", "--port", "0", "--topic", "bad topic!"], 2, "does not allow"),
            (["produce", "-t", "x"], 106, "--brokers is required"),
            # librdkafka properties (-X, -F) are checked before anything connects.
            (["produce", "-b", self.bootstrap, "-t", "plain", "-X", "bogus.prop=1", "v"], 2,
             'kafkatrace produce: --property: No such configuration property: "bogus.prop"'),
            (["consume", "-b", self.bootstrap, "-t", "plain", "-X", "security.protocol=carrier-pigeon"], 2,
             'Invalid value "carrier-pigeon" for configuration property "security.protocol"'),
            (["produce", "-b", self.bootstrap, "-t", "plain", "-X", "linger.ms", "v"], 2,
             'malformed --property "linger.ms": expected NAME=VALUE'),
            (["lag", "-b", self.bootstrap, "-g", "g", "-X", "bootstrap.servers=elsewhere:9092"], 2,
             "--property: bootstrap.servers is set by --brokers"),
            (["consume", "-b", self.bootstrap, "-t", "plain", "-X", "group.id=mine"], 2,
             "group.id is set by the command (use --group"),
            (["lag", "-b", self.bootstrap, "-g", "g", "-F", "/no/such/file.conf"], 2,
             "cannot read --config-file /no/such/file.conf: No such file or directory"),
        ]
        for args, code, message in cases:
            with self.subTest(args=args):
                result = run(*args)
                self.assertEqual(result.returncode, code, result.stderr)
                self.assertIn(message, result.stderr)

    def test_librdkafka_properties_from_the_command_line_and_a_file(self):
        # What a real cluster needs (security.protocol, sasl.*) goes the same way as this client.id,
        # which the send span reports: -F's file, then -X, the later winning over the command's own.
        console = {"OTEL_TRACES_EXPORTER": "console"}
        result = run("produce", "-b", self.bootstrap, "-t", "props", "-X", "client.id=from-x", "v", env=console)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('messaging.client.id = "from-x"', result.stdout)
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
            conf.write("# a kcat-style file\n\n  client.id = from-file \r\nmessage.timeout.ms=20000\n")
            conf.flush()
            result = run("produce", "-b", self.bootstrap, "-t", "props", "-F", conf.name, "v", env=console)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn('messaging.client.id = "from-file"', result.stdout)
            result = run("produce", "-b", self.bootstrap, "-t", "props", "-F", conf.name,
                         "-X", "client.id=x-wins", "v", env=console)
            self.assertIn('messaging.client.id = "x-wins"', result.stdout)
            conf.write("sasl.mechanism\n")
            conf.flush()
            result = run("produce", "-b", self.bootstrap, "-t", "props", "-F", conf.name, "v")
            self.assertEqual(result.returncode, 2)
            self.assertIn(conf.name + " line 5: expected NAME=VALUE", result.stderr)
        # The user's property wins over the command's default: a new group reads from the start
        # although `consume` without --from-beginning asks for the latest offsets.
        self.assertEqual(run("produce", "-b", self.bootstrap, "-t", "props", "kept").returncode, 0)
        text = run("consume", "-b", self.bootstrap, "-t", "props", "-g", "props-%d" % os.getpid(),
                   "-X", "auto.offset.reset=earliest", "--count", "1", "--timeout-ms", "5000").stdout
        self.assertIn("offset 0", text)

    def test_produce_to_and_consume_from_a_chosen_partition_and_offset(self):
        values = ["r%d" % i for i in range(6)]
        self.assertEqual(run("produce", "-b", self.bootstrap, "-t", "positioned", "-k", "same", *values).returncode, 0)
        records = [json.loads(l) for l in self.consume("positioned", "--json").splitlines()]
        self.assertEqual([r["value"] for r in records], values)
        used = records[0]["partition"]  # one key, one partition
        other = 1 - used

        def read(*args):
            result = run("consume", "-b", self.bootstrap, "-t", "positioned", "--timeout-ms", "2000", "--json", *args)
            self.assertEqual(result.returncode, 0, result.stderr)
            return [(r["partition"], r["offset"], r["value"]) for r in map(json.loads, result.stdout.splitlines())]
        self.assertEqual(read("-p", str(used), "-o", "2", "--count", "2"), [(used, 2, "r2"), (used, 3, "r3")])
        self.assertEqual(read("--offset", "-2"), [(used, 4, "r4"), (used, 5, "r5")])  # the last 2 of each
        self.assertEqual(read("-o", "end"), [])
        # produce -p writes where it is told, whatever the key's partition.
        self.assertEqual(run("produce", "-b", self.bootstrap, "-t", "positioned", "-k", "same",
                             "-p", str(other), "elsewhere").returncode, 0)
        self.assertEqual(read("-p", str(other), "-o", "beginning"), [(other, 0, "elsewhere")])
        for args, code, message in [
                (["-p", "2"], 1, "topic positioned has no partition 2"),
                (["-p", "-1"], 105, '--partition: must be a whole number of at least 0, not "-1"')]:
            with self.subTest(args=args):
                result = run("produce", "-b", self.bootstrap, "-t", "positioned", *args, "v")
                self.assertEqual(result.returncode, code, result.stderr)
                self.assertIn(message, result.stderr)
        for args, code, message in [
                (["-p", "7"], 1, "topic positioned has no partition 7 (it has 2, from 0)"),
                (["-o", "soon"], 2, 'malformed --offset "soon": expected beginning, end, an offset N or -N'),
                (["-o", "-99999999999999999999"], 2, "malformed --offset"),
                (["-g", "grouped", "-o", "1"], 108, "--group excludes --offset"),
                (["-g", "grouped", "-p", "0"], 108, "--group excludes --partition"),
                (["--from-beginning", "-o", "1"], 108, "--from-beginning excludes --offset")]:
            with self.subTest(args=args):
                result = run("consume", "-b", self.bootstrap, "-t", "positioned", "--timeout-ms", "1000", *args)
                self.assertEqual(result.returncode, code, result.stderr)
                self.assertIn(message, result.stderr)

    def test_headers_and_baggage_come_before_values(self):
        result = run("produce", "-b", self.bootstrap, "-t", "with-baggage",
                     "-H", "a=1", "-H", "b=2", "--baggage", "tenant=acme corp", "--baggage", "user.id=42",
                     "first", "second")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("produced 2 records to with-baggage", result.stderr)
        trace_id = result.stdout.split()[-1]
        ours = [json.loads(l) for l in self.consume("with-baggage", "--json", "--count", "2").splitlines()]
        self.assertEqual([r["traceparent"]["trace_id"] for r in ours], [trace_id] * 2)
        self.assertEqual([r["value"] for r in ours], ["first", "second"])
        for r in ours:
            self.assertEqual([h for h in r["headers"] if h["key"] in ("a", "b")],
                             [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
            self.assertEqual(r["baggage"], [{"key": "tenant", "value": "acme corp"},
                                            {"key": "user.id", "value": "42"}])
            # On the wire, W3C-encoded.
            self.assertIn({"key": "baggage", "value": "tenant=acme%20corp,user.id=42"}, r["headers"])

    def test_help_and_version(self):
        for sub in ["broker", "produce", "consume", "lag"]:
            result = run(sub, "--help")
            self.assertEqual(result.returncode, 0)
            self.assertIn("--help", result.stdout)
        self.assertRegex(run("--version").stdout, r"^kafkatrace \d+\.\d+\.\d+")

    def test_progress_for_long_runs(self):
        result = run("produce", "-b", self.bootstrap, "-t", "bulk", "--count", "200000", "x" * 10,
                     timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("produced 200000 records to bulk", result.stderr)

    def test_kcat_records_with_and_without_trace_headers(self):
        topic = "from-kcat"
        for headers in (["-H", "traceparent=" + TRACEPARENT, "-H", "baggage=tenant=acme%20corp"], []):
            subprocess.run(["kcat", "-b", self.bootstrap, "-t", topic, "-P", *headers],
                           input="kcat says hi\n", text=True, check=True, timeout=30)
        records = [json.loads(l) for l in self.consume(topic, "--json", "--count", "2").splitlines()]
        self.assertEqual(records[0]["traceparent"]["parent_span_id"], "00f067aa0ba902b7")
        self.assertEqual(records[0]["baggage"], [{"key": "tenant", "value": "acme corp"}])
        self.assertIsNone(records[1]["traceparent"])
        text = self.consume(topic, "--count", "2")
        self.assertIn("traceparent: (none: the consumer starts a new trace)", text)

    def test_kcat_reads_what_kafkatrace_produces(self):
        result = run("produce", "-b", self.bootstrap, "-t", "to-kcat", "-k", "k1", "hello kcat")
        self.assertEqual(result.returncode, 0, result.stderr)
        trace_id = result.stdout.split()[-1]
        out = subprocess.run(["kcat", "-b", self.bootstrap, "-t", "to-kcat", "-C", "-o", "beginning",
                              "-c", "1", "-e", "-f", "%k|%s|%h\n"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        key, value, headers = out.strip().split("|")
        self.assertEqual((key, value), ("k1", "hello kcat"))
        self.assertRegex(headers, r"^traceparent=00-" + trace_id + r"-[0-9a-f]{16}-03$")

    def test_malformed_and_duplicated_traceparent_are_explained(self):
        topic = "bad-headers"
        subprocess.run(["kcat", "-b", self.bootstrap, "-t", topic, "-P", "-H", "traceparent=garbage"],
                       input="a\n", text=True, check=True, timeout=30)
        subprocess.run(["kcat", "-b", self.bootstrap, "-t", topic, "-P", "-H", "traceparent=" + TRACEPARENT,
                        "-H", "traceparent=" + TRACEPARENT], input="b\n", text=True, check=True, timeout=30)
        text = self.consume(topic, "--count", "2")
        self.assertIn('traceparent: "garbage" malformed: the consumer starts a new trace', text)
        self.assertIn("2 traceparent headers: ignored per W3C", text)

    def test_record_bytes_are_shown_safely_and_kept_exactly(self):
        # A record's bytes are the producer's: on a terminal, control bytes could
        # recolor or retitle it; in JSON, bytes that are not UTF-8 would be lost.
        key = b"\xff\x01\xc3"  # not UTF-8
        value = "v\u200bal\x1b[31m\x85\\".encode()  # UTF-8 with ESC, a C1 control, a backslash
        subprocess.run(["kcat", "-b", self.bootstrap, "-t", "binary", "-P", "-K", "|", "-H", b"x-bin=\xff\xfe"],
                       input=key + b"|" + value + b"\n", check=True, timeout=30)
        text = self.consume("binary", "--count", "1")
        self.assertIn("key: \\xff\\x01\\xc3\n", text)
        self.assertIn("value: v\u200bal\\x1b[31m\\xc2\\x85\\\\\n", text)
        self.assertIn("header x-bin: \\xff\\xfe\n", text)
        self.assertNotIn("\x1b", text)

        record = json.loads(self.consume("binary", "--count", "1", "--json"))
        self.assertEqual(base64.b64decode(record["key_base64"]), key)
        self.assertEqual(record["key"], "\ufffd\x01\ufffd")
        self.assertEqual(record["value"].encode(), value)  # UTF-8: kept as it is
        self.assertNotIn("value_base64", record)
        header = next(h for h in record["headers"] if h["key"] == "x-bin")
        self.assertEqual(base64.b64decode(header["value_base64"]), b"\xff\xfe")


if __name__ == "__main__":
    unittest.main(verbosity=2)
