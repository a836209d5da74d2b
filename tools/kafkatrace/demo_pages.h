// The "ask" demo's two pages: small, plain, offline. The browser starts the
// trace itself (a W3C traceparent on the POST), and the board reports when an
// answer is on screen.
#pragma once

namespace kafkatrace::cli {

inline constexpr const char* kAskPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ask</title>
<style>body{font:16px system-ui,sans-serif;max-width:40em;margin:3em auto;color:#222}
textarea{width:100%;height:5em;font:inherit}button{font:inherit;padding:.4em 1.2em}
#status{margin-top:1em;color:#555}.error{color:#c1121f}</style></head><body>
<h1>Ask a question</h1>
<form id="ask"><textarea id="question" maxlength="2000" placeholder="Why is the sky blue?"></textarea>
<p><button>Ask</button></p></form><div id="status"></div>
<script>
const hex = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), b => b.toString(16).padStart(2, '0')).join('');
document.getElementById('ask').onsubmit = async (ev) => {
  ev.preventDefault();
  const traceId = hex(16), status = document.getElementById('status');
  const r = await fetch('/api/questions', { method: 'POST',
    headers: { 'Content-Type': 'application/json', 'traceparent': `00-${traceId}-${hex(8)}-01` },
    body: JSON.stringify({ question: document.getElementById('question').value }) });
  const body = await r.json();
  status.className = r.ok ? '' : 'error';
  status.textContent = r.ok ? `Asked (trace ${body.trace_id}). Watch the board.` : body.error;
};
</script></body></html>
)HTML";

inline constexpr const char* kBoardPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Answers</title>
<style>body{font:16px system-ui,sans-serif;max-width:50em;margin:2em auto;color:#222}
li{margin:.6em 0;padding:.5em;border-left:4px solid #457b9d;background:#f4f7fb;list-style:none}
.q{font-weight:600}.meta{color:#777;font-size:12px}</style></head><body>
<h1>Live answers</h1><ul id="answers"></ul>
<script>
const list = document.getElementById('answers');
new EventSource('/events').onmessage = (ev) => {
  const a = JSON.parse(ev.data);
  const li = document.createElement('li'); li.dataset.id = a.id;
  const q = document.createElement('div'); q.className = 'q'; q.textContent = a.question;
  const ans = document.createElement('div'); ans.textContent = a.answer;
  const meta = document.createElement('div'); meta.className = 'meta'; meta.textContent = 'trace ' + a.trace_id;
  li.append(q, ans, meta); list.prepend(li);
  // Rendered: tell the board, which ends the time-to-glass span.
  requestAnimationFrame(() => requestAnimationFrame(() =>
    fetch('/api/rendered', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                            body: JSON.stringify({ id: a.id }) })));
};
</script></body></html>
)HTML";

}  // namespace kafkatrace::cli
