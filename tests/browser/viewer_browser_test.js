// Real-browser test of `kafkatrace view`: headless Debian chromium driven by playwright-core.
// A traced record (whose key is an HTML injection attempt) crosses Kafka with a 1.2 s wait in
// the topic; the page must show the trace, its waterfall and its hop split with the same
// numbers the spans give, and the key as inert text. Saves screenshots/viewer.png.
// Usage: node viewer_browser_test.js <build-dir>
const { chromium } = require('playwright-core');
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const build = path.resolve(process.argv[2] || 'build');
const kafkatrace = path.join(build, 'tools', 'kafkatrace', 'kafkatrace');
const injection = '<img src=x onerror=window.__xss=1>';

function start(args) {
  const child = spawn(kafkatrace, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = readline.createInterface({ input: child.stdout });
  const queue = [];
  let waiting = null;
  lines.on('line', (l) => (waiting ? (waiting(l), (waiting = null)) : queue.push(l)));
  child.nextLine = () => new Promise((r) => (queue.length ? r(queue.shift()) : (waiting = r)));
  return child;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkatrace-browser-'));
  const view = start(['view', '--otlp', '127.0.0.1:0', '--ui', '127.0.0.1:0', '--db', path.join(dir, 'spans.db')]);
  const broker = start(['broker', '--port', '0', '--topic', 'questions:1']);
  let browser;
  try {
    const otlp = (await view.nextLine()).split(' ').pop();
    const ui = (await view.nextLine()).split(' ').pop();
    const bootstrap = await broker.nextLine();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });

    // Day one: an empty viewer says where to send spans.
    await page.goto(ui);
    await page.locator('#traces td.empty').waitFor({ timeout: 10000 });
    const empty = await page.locator('#traces td.empty').textContent();
    check(empty.includes('No traces yet.') && empty.includes('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=' + otlp),
      `empty state: ${empty}`);

    const env = { ...process.env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp, OTEL_METRICS_EXPORTER: 'otlp',
                  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: otlp.replace('/v1/traces', '/v1/metrics') };
    const out = execFileSync(kafkatrace, ['produce', '-b', bootstrap, '-t', 'questions', '-k', injection, 'why?'],
      { env: { ...env, OTEL_SERVICE_NAME: 'api' }, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const traceId = out.trim().split(' ').pop();
    await new Promise((r) => setTimeout(r, 1200));  // the record waits in the topic
    execFileSync(kafkatrace, ['consume', '-b', bootstrap, '-t', 'questions', '--from-beginning', '--count', '1'],
      { env: { ...env, OTEL_SERVICE_NAME: 'worker' }, stdio: 'ignore' });

    let trace;
    for (let i = 0; i < 100; i++) {
      const r = await fetch(`${ui}api/traces/${traceId}`);
      if (r.ok && (trace = await r.json()).spans.length >= 3) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const send = trace.spans.find((s) => s.name === 'send questions');
    const processSpan = trace.spans.find((s) => s.name === 'process questions');
    // Durations in ns. Unix-nanosecond timestamps exceed 2^53, so in JavaScript
    // they (and these differences) are off by up to a few hundred ns: the page's
    // "1242.77 ms" may be the test's 1242.765 rounded the other way. A shown
    // value is right when within its last digit of the duration.
    const expected = [send.end_unix_nano - send.start_unix_nano,
      processSpan.start_unix_nano - send.end_unix_nano,
      processSpan.end_unix_nano - processSpan.start_unix_nano];
    const shows = (cell, ns) => /^[0-9.]+ ms$/.test(cell) &&
      Math.abs(parseFloat(cell) - ns / 1e6) <= (ns >= 1e10 ? 1 : 0.01) + 1e-3;

    let dialogs = 0;
    page.on('dialog', (d) => { dialogs++; d.dismiss(); });
    await page.goto(ui);
    const row = page.locator(`tr[data-trace="${traceId}"]`);
    await row.waitFor({ timeout: 10000 });
    await row.click();
    await page.locator('#hops tr').nth(1).waitFor({ timeout: 10000 });
    const cells = await page.locator('#hops tr').nth(1).locator('td').allTextContents();
    check(cells[0] === 'questions', `hop topic ${cells[0]}`);
    check(shows(cells[1], expected[0]), `publish ${cells[1]} vs ${expected[0]} ns`);
    check(shows(cells[2], expected[1]), `waiting ${cells[2]} vs ${expected[1]} ns`);
    check(shows(cells[3], expected[2]), `processing ${cells[3]} vs ${expected[2]} ns`);
    const diagnosis = await page.locator('.diag').first().textContent();
    check(diagnosis.includes('waiting in topic questions: the consumer was busy'), `diagnosis: ${diagnosis}`);
    check((await page.locator('#waterfall tr.span').count()) === 3, 'waterfall rows');
    // The hop's split bar: its three parts in proportion, the wait (1.2 s) by far the widest.
    const widths = await page.locator('#hops .split div').evaluateAll((ds) => ds.map((d) => d.getBoundingClientRect().width));
    check(widths.length === 3 && widths[1] > 5 * (widths[0] + widths[2]), `split widths ${widths}`);
    // The process span's row draws the wait before it, from the send span's end.
    const processRow = page.locator('#waterfall tr.span', { hasText: 'process questions' });
    check((await processRow.locator('.track .wait').count()) === 1, 'no wait drawn before the process span');
    // Attributes are one per line, shown on a click, the key as inert text.
    check(!(await page.locator('#waterfall tr.details').first().isVisible()), 'attributes shown before a click');
    const sendRow = page.locator('#waterfall tr.span', { hasText: 'send questions' });
    await sendRow.click();
    const sendDetails = sendRow.locator('xpath=following-sibling::tr[1]');
    check(await sendDetails.isVisible(), 'a click did not show the attributes');
    const keyValue = await sendDetails.locator('tr', { hasText: 'messaging.kafka.message.key' }).locator('td').nth(1).textContent();
    check(keyValue === injection, `key shown as ${keyValue}`);
    await sendRow.click();
    check(!(await sendDetails.isVisible()), 'a second click did not hide the attributes');
    await processRow.click();
    const topicCells = await page.locator('#topics tbody tr').first().locator('td').allTextContents();
    check(topicCells[0] === 'questions' && topicCells[2] === '1', `topics row ${topicCells}`);
    // The clients' messaging metrics, in a table of their own.
    await page.evaluate(() => metrics());
    check(await page.locator('#metrics').isVisible(), 'the metrics table is hidden');
    const metricRows = await page.locator('#metrics tbody tr').evaluateAll(
      (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
    const sent = metricRows.find((r) => r[0] === 'api' && r[1] === 'questions' && r[3] === 'sent');
    check(sent && sent[4] === '1', `sent row ${JSON.stringify(metricRows)}`);
    const processed = metricRows.find((r) => r[0] === 'worker' && r[3] === 'process');
    check(processed && processed[4] === '1' && processed[5].endsWith(' ms'), `process row ${JSON.stringify(processed)}`);
    const text = await page.locator('#waterfall').textContent();
    check(text.includes(injection), 'the injected key must be shown as text');
    check((await page.evaluate(() => window.__xss)) === undefined, 'injected markup ran');
    check((await page.locator('#detail img').count()) === 0, 'injected markup became an element');
    check(dialogs === 0, 'a dialog opened');
    fs.mkdirSync(path.join(__dirname, 'screenshots'), { recursive: true });
    await page.screenshot({ path: path.join(__dirname, 'screenshots', 'viewer.png'), fullPage: true });
    console.log(`viewer browser test: hop ${cells.slice(1).join(' / ')} shown as the spans say; markup inert`);
  } finally {
    if (browser) await browser.close();
    view.kill();
    broker.kill();
  }
})().catch((e) => { console.error('FAILED:', e.message); process.exit(1); });
