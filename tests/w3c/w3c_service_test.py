#!/usr/bin/env python3
"""The W3C Trace Context test service (w3c_test_service) driven the way the W3C suite drives it:
a request with given trace headers and a list of callbacks; the callbacks' headers must follow
the rules of ../shared/spec/w3c-trace-context.md (numbers below). The suite itself is not packaged
for Debian; these are our own cases, one or more per rule, over HTTP end to end.

Usage: w3c_service_test.py <path to w3c_test_service>
"""
import http.client
import http.server
import json
import re
import subprocess
import sys
import threading
import unittest
import urllib.error
import urllib.request

SERVICE = sys.argv.pop(1)
TRACE_ID = "12345678901234567890123456789012"
PARENT_ID = "1234567890123456"
VALID = "00-%s-%s-01" % (TRACE_ID, PARENT_ID)
TRACEPARENT_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


class Callbacks(http.server.ThreadingHTTPServer):
    """Records the headers of every callback, by path."""

    def __init__(self):
        self.received = {}
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(handler):
                handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
                with self.lock:
                    self.received[handler.path] = list(handler.headers.items())
                handler.send_response(200)
                handler.send_header("Content-Length", "0")
                handler.end_headers()

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


class W3CServiceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.service = subprocess.Popen([SERVICE], stdout=subprocess.PIPE, text=True)
        cls.endpoint = cls.service.stdout.readline().strip()
        cls.callbacks = Callbacks()
        threading.Thread(target=cls.callbacks.serve_forever, daemon=True).start()
        cls.calls = 0

    @classmethod
    def tearDownClass(cls):
        cls.callbacks.shutdown()
        cls.callbacks.server_close()
        cls.service.terminate()
        cls.service.wait(timeout=10)
        cls.service.stdout.close()

    def call(self, headers, count=1):
        """Sends headers to the service, asking for `count` callbacks; returns their headers."""
        paths = []
        for _ in range(count):
            W3CServiceTest.calls += 1
            paths.append("/callback/%d" % W3CServiceTest.calls)
        port = self.callbacks.server_address[1]
        body = json.dumps([{"url": "http://127.0.0.1:%d%s" % (port, p), "arguments": []} for p in paths])
        # http.client, not urllib: it can send a header several times.
        connection = http.client.HTTPConnection(self.endpoint.split("/")[2], timeout=10)
        connection.putrequest("POST", "/test")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(len(body)))
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders(body.encode())
        response = connection.getresponse()
        response.read()
        connection.close()
        self.assertEqual(response.status, 200)
        with self.callbacks.lock:
            return [self.callbacks.received[p] for p in paths]

    def context(self, headers):
        """(trace-id, parent-id, flags, tracestate or None) of one callback; exactly one traceparent."""
        traceparents = [v for k, v in headers if k.lower() == "traceparent"]
        self.assertEqual(len(traceparents), 1, headers)  # rule 14
        self.assertEqual([k for k, _ in headers if k.lower() == "traceparent"], ["traceparent"])
        match = TRACEPARENT_RE.match(traceparents[0])  # rule 15: version 00, 55 lowercase characters
        self.assertIsNotNone(match, traceparents[0])
        trace_id, parent_id, flags = match.groups()
        self.assertNotEqual(trace_id, "0" * 32)
        self.assertNotEqual(parent_id, "0" * 16)
        states = [v for k, v in headers if k.lower() == "tracestate"]
        return trace_id, parent_id, int(flags, 16), (states[0] if states else None)

    def one(self, *headers):
        return self.context(self.call(list(headers))[0])

    def assertRestarts(self, *headers):
        trace_id, _, flags, state = self.one(*headers)
        self.assertNotEqual(trace_id, TRACE_ID, headers)
        self.assertNotIn(TRACE_ID[:8], trace_id)  # no reuse of part of it (rule 4)
        self.assertIsNone(state, headers)  # rule 6
        self.assertEqual(flags & 0x02, 0x02)  # rule 15: restart ids are random

    def assertContinues(self, *headers):
        trace_id, parent_id, flags, state = self.one(*headers)
        self.assertEqual(trace_id, TRACE_ID, headers)
        self.assertNotEqual(parent_id, PARENT_ID)
        return flags, state

    def test_no_headers_start_a_trace(self):
        self.assertRestarts()

    def test_a_valid_traceparent_continues_with_a_new_parent_id(self):
        flags, state = self.assertContinues(("traceparent", VALID))
        self.assertEqual(flags, 0x01)
        self.assertIsNone(state)

    def test_names_match_in_any_case_and_no_other_spelling(self):  # rule 1
        for name in ("TraceParent", "TrAcEpArEnT", "TRACEPARENT"):
            self.assertContinues((name, VALID))
        for name in ("trace-parent", "trace.parent"):
            self.assertRestarts((name, VALID))

    def test_two_traceparents_restart(self):  # rule 2
        self.assertRestarts(("traceparent", VALID), ("traceparent", VALID.replace("12-", "11-", 1)))

    def test_ows_is_trimmed(self):  # rule 3
        self.assertContinues(("traceparent", " \t" + VALID + "\t "))

    def test_malformed_values_restart(self):  # rule 4
        for value in (
                VALID + ".", VALID + "-extra", "ff" + VALID[2:], ".0" + VALID[2:], "0" + VALID[2:],
                "000" + VALID[2:], "00-" + "0" * 32 + "-" + PARENT_ID + "-01",
                "00-" + TRACE_ID + "-" + "0" * 16 + "-01", "00-" + TRACE_ID + "-" + "ABCDEF7890123456" + "-01",
                "00-" + TRACE_ID + "3-" + PARENT_ID + "-01", "00-" + TRACE_ID[:-1] + "-" + PARENT_ID + "-01",
                "00-" + TRACE_ID + "-" + PARENT_ID + "7-01", "00-" + TRACE_ID + "-" + PARENT_ID + "-.0",
                "00-" + TRACE_ID + "-" + PARENT_ID + "-0", "00-" + TRACE_ID + "-" + PARENT_ID + "-011"):
            with self.subTest(value=value):
                self.assertRestarts(("traceparent", value), ("tracestate", "foo=1"))

    def test_future_versions_continue_from_their_first_four_fields(self):  # rule 4
        for value in ("cc" + VALID[2:], "cc" + VALID[2:] + "-what-the-future-will-be-like"):
            flags, _ = self.assertContinues(("traceparent", value))
            self.assertEqual(flags, 0x01)
        self.assertRestarts(("traceparent", "cc" + VALID[2:] + ".what-the-future-will-be-like"))

    def test_only_known_flags_are_kept(self):  # rule 4, 15
        flags, _ = self.assertContinues(("traceparent", VALID[:-2] + "ff"))
        self.assertEqual(flags, 0x03)
        flags, _ = self.assertContinues(("traceparent", VALID[:-2] + "00"))
        self.assertEqual(flags, 0x00)

    def test_tracestate_lines_combine_in_order(self):  # rules 7, 8
        _, state = self.assertContinues(("traceparent", VALID), ("tracestate", "foo=1"),
                                        ("TraceState", ""), ("tracestate", " , bar=2 ,"))
        self.assertEqual(state, "foo=1,bar=2")

    def test_tracestate_without_traceparent_is_dropped(self):  # rule 6
        self.assertRestarts(("tracestate", "foo=1"))

    def test_an_invalid_member_drops_the_whole_tracestate(self):  # rule 10
        for state in ("foo=1,Bar=2", "foo=1,bar", "foo=1,bar=", "foo =1", "foo=1=2", "foo=\x7f"):
            with self.subTest(state=state):
                _, out = self.assertContinues(("traceparent", VALID), ("tracestate", state))
                self.assertIsNone(out)

    def test_member_values_keep_leading_spaces_and_keys_allow_tenants(self):  # rule 9
        _, state = self.assertContinues(("traceparent", VALID), ("tracestate", "t@sys=  a b,x_1-*/=v"))
        self.assertEqual(state, "t@sys=  a b,x_1-*/=v")

    def test_thirty_two_members_pass_and_thirty_three_drop(self):  # rule 11
        members = ["k%d=v" % i for i in range(33)]
        _, state = self.assertContinues(("traceparent", VALID), ("tracestate", ",".join(members[:32])))
        self.assertEqual(state, ",".join(members[:32]))
        _, state = self.assertContinues(("traceparent", VALID), ("tracestate", ",".join(members)))
        self.assertIsNone(state)

    def test_a_duplicate_key_keeps_the_header(self):  # rule 12
        _, state = self.assertContinues(("traceparent", VALID), ("tracestate", "foo=1,bar=2,foo=3"))
        self.assertIsNotNone(state)
        self.assertTrue(state.startswith("foo=1,bar=2"), state)

    def test_every_outgoing_call_gets_its_own_parent_id(self):  # rule 15
        contexts = [self.context(h) for h in self.call([("traceparent", VALID)], count=3)]
        self.assertEqual({c[0] for c in contexts}, {TRACE_ID})
        parent_ids = {c[1] for c in contexts}
        self.assertEqual(len(parent_ids), 3)
        self.assertNotIn(PARENT_ID, parent_ids)
        restarted = [self.context(h) for h in self.call([], count=2)]
        self.assertEqual(restarted[0][0], restarted[1][0])  # one new trace for the request
        self.assertNotEqual(restarted[0][1], restarted[1][1])

    def test_bad_instructions_get_a_4xx_and_the_service_keeps_serving(self):
        request = urllib.request.Request(self.endpoint, data=b"{}", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as failure:
            urllib.request.urlopen(request, timeout=10)
        self.assertEqual(failure.exception.code, 400)
        self.assertIn(b"JSON array", failure.exception.read())
        failure.exception.close()
        self.assertContinues(("traceparent", VALID))


if __name__ == "__main__":
    unittest.main(verbosity=2)
