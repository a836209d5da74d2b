// The "ask" demo's two pages: small, plain, offline. The browser starts the
// trace itself (a W3C traceparent on the POST), and the board reports when an
// answer is on screen. Both link each question to its trace in the viewer; the
// ask page also holds the demo's controls (a busy worker, a broker outage).
#pragma once

namespace kafkatrace::cli {

inline constexpr const char* kAskPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ask</title>
<style>body{font:16px system-ui,sans-serif;max-width:40em;margin:3em auto;color:#222}
textarea{width:100%;height:5em;font:inherit}button{font:inherit;padding:.4em 1.2em}
#status{margin-top:1em;color:#555}.error{color:#c1121f}a{color:#1d3557}
fieldset{margin-top:2em;border:1px solid #ddd;border-radius:4px;color:#444}label{display:block;margin:.4em 0}
#delay{width:6em;font:inherit}</style></head><body>
<h1>Ask a question</h1>
<form id="ask"><textarea id="question" maxlength="2000" placeholder="Why is the sky blue?"></textarea>
<p><button>Ask</button> <button type="button" id="ask3">Ask 3 at once</button></p></form><div id="status"></div>
<fieldset><legend>See what the traces say when something goes wrong</legend>
<label><input type="checkbox" id="busy"> make the worker busy:
<input type="number" id="delay" min="0" max="600000" step="500"> ms per question (then ask 3 at once)</label>
<label id="outage"><input type="checkbox" id="down"> take the embedded Kafka broker down</label>
<div id="control-status" class="error"></div></fieldset>
<script>
const hex = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), b => b.toString(16).padStart(2, '0')).join('');
const $ = (id) => document.getElementById(id);
const link = (text, href) => Object.assign(document.createElement('a'), { textContent: text, href, target: '_blank' });
let links = {};
fetch('/api/links').then(r => r.json()).then(l => { links = l; });
// One question, in a trace the browser starts; a line saying where to follow it.
async function ask(question) {
  const line = document.createElement('div');
  const r = await fetch('/api/questions', { method: 'POST',
    headers: { 'Content-Type': 'application/json', 'traceparent': `00-${hex(16)}-${hex(8)}-01` },
    body: JSON.stringify({ question }) });
  const body = await r.json();
  line.className = r.ok ? '' : 'error';
  if (!r.ok) { line.textContent = body.error; return line; }
  line.append(`Asked (trace ${body.trace_id}). `);
  if (links.board) line.append(link('Watch the board', links.board), ', then ');
  if (links.viewer) line.append(link('see where the time went', links.viewer + '#trace=' + body.trace_id), '.');
  return line;
}
$('ask').onsubmit = async (ev) => {
  ev.preventDefault();
  $('status').replaceChildren(await ask($('question').value));
};
// Several at once: with a busy worker, the later ones wait in the topic.
$('ask3').onclick = async () => {
  const q = $('question').value || 'Why is the sky blue?';
  $('status').replaceChildren(...await Promise.all([1, 2, 3].map((i) => ask(`${q} (${i} of 3)`))));
};
// The demo's controls, showing the api's current state.
async function control(path, state) {
  const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(state) });
  $('control-status').textContent = r.ok ? '' : (await r.json()).error;
  return r.ok;
}
// Turning it off always works, whatever the delay field holds.
const busy = () => control('/api/busy', $('busy').checked ? { busy: true, delay_ms: Number($('delay').value) } : { busy: false });
$('busy').onchange = busy;
$('delay').onchange = () => { if ($('busy').checked) busy(); };
$('down').onchange = () => control('/api/broker', { up: !$('down').checked });
fetch('/api/busy').then(r => r.json()).then(b => { $('busy').checked = b.busy; $('delay').value = b.delay_ms; });
// On a real cluster (--brokers) there is no broker of the demo's to take down.
fetch('/api/broker').then(r => r.json()).then(b => { $('down').checked = !b.up; $('outage').hidden = !b.embedded; });
</script></body></html>
)HTML";

inline constexpr const char* kBoardPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Answers</title>
<style>body{font:16px system-ui,sans-serif;max-width:50em;margin:2em auto;color:#222}
li{margin:.6em 0;padding:.5em;border-left:4px solid #457b9d;background:#f4f7fb;list-style:none}
.q{font-weight:600}.meta{color:#777;font-size:12px}.meta a{color:#1d3557}</style></head><body>
<h1>Live answers</h1><ul id="answers"></ul>
<script>
const list = document.getElementById('answers');
let links = {};
fetch('/api/links').then(r => r.json()).then(l => { links = l; });
new EventSource('/events').onmessage = (ev) => {
  const a = JSON.parse(ev.data);
  const li = document.createElement('li'); li.dataset.id = a.id;
  const q = document.createElement('div'); q.className = 'q'; q.textContent = a.question;
  const ans = document.createElement('div'); ans.textContent = a.answer;
  const meta = document.createElement('div'); meta.className = 'meta'; meta.textContent = 'trace ' + a.trace_id;
  if (links.viewer) {  // where the time went, in the viewer
    const view = Object.assign(document.createElement('a'), { textContent: 'where did the time go?',
      href: links.viewer + '#trace=' + a.trace_id, target: '_blank' });
    meta.append(' \u00b7 ', view);
  }
  li.append(q, ans, meta); list.prepend(li);
  // Rendered: tell the board, which ends the time-to-glass span.
  requestAnimationFrame(() => requestAnimationFrame(() =>
    fetch('/api/rendered', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                            body: JSON.stringify({ id: a.id }) })));
};
</script></body></html>
)HTML";

}  // namespace kafkatrace::cli
