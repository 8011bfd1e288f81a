// The web console end to end: the real server (`serve --demo` on a fresh SQLite file and a free
// loopback port) driven in headless Chromium by playwright-core, under Node's test runner.
//
//   TENANTRY_BIN=target/debug/tenantry-cli node --test --test-reporter=spec console.test.mjs
//
// `cargo test -p tenantry-tests --test browser` sets TENANTRY_BIN and runs this file. Environment:
// TENANTRY_BIN (required), CHROMIUM (default /usr/bin/chromium), TEST_LOG=1 (the server's logs
// and stdout, and the pages' console, on stderr). Screenshots go to target/browser-screenshots/.
//
// Helpers first (server, email codes, browser, screenshots), then the scenario.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const BIN = process.env.TENANTRY_BIN;
const LOG = process.env.TEST_LOG === '1';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOTS = path.join(REPO, 'target', 'browser-screenshots');

// Variables the server reads before its config file; a developer's own must not redirect the test
// server (another database, mail over SMTP instead of the outbox, another base domain…).
const SERVER_ENV = /^(TENANTRY_.*|DATABASE_URL|SMTP_URL|REDIS_URL)$/;

const log = (text) => LOG && process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

/**
 * Starts `$TENANTRY_BIN serve --demo` on 127.0.0.1:0 with its own SQLite file and limits no test
 * meets. Resolves once /healthz answers, with `port`, `url(subdomain, path)` for a browser
 * (`url('admin')` is http://admin.localhost:PORT/), `cli(...args)` on the same database, and
 * `stop()`.
 */
async function startServer() {
  assert.ok(BIN, 'TENANTRY_BIN must name the tenantry binary (cargo test --test browser sets it)');
  const dir = await mkdtemp(path.join(tmpdir(), 'tenantry-browser-'));
  const config = path.join(dir, 'tenantry.toml');
  await writeFile(
    config,
    [
      `database_url = "sqlite://${dir}/tenantry.db?mode=rwc"`,
      'ip_rate_per_minute = 1000000',
      'address_rate_per_minute = 1000000',
      'tenant_rate_per_minute = 1000000',
      'api_key_rate_per_minute = 1000000',
      // The custom domain the scenario adds resolves, but to a documentation address that is not
      // public: verification fails on DNS, in words, without any lookup or probe leaving the
      // machine.
      '[dns_static.a]',
      '"rides.globex.test" = ["192.0.2.10"]',
      '',
    ].join('\n'),
  );
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SERVER_ENV.test(k)));
  const args = (...rest) => [...rest, '--config', config];

  const child = spawn(BIN, args('serve', '--demo', '--bind', '127.0.0.1:0'), {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killNow = () => child.kill('SIGKILL');
  process.once('exit', killNow); // even if the test process dies before `stop()`
  const exited = new Promise((resolve) => child.once('exit', resolve));

  // Both pipes are read to the end, so the server never blocks on a full pipe (the demo prints
  // every mail it sends to stdout). The last lines of stderr go into a start-up failure.
  let stderrTail = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    log(chunk);
    stderrTail = (stderrTail + chunk).slice(-4000);
  });
  // The demo prints one URL per app, e.g. `  TAXI_PASSENGER  http://acme-rides.localhost:41234/api/branding`.
  const port = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      log(line);
      const m = line.match(/http:\/\/[^\s/:]+:(\d+)\//);
      if (m) resolve(Number(m[1]));
    });
    child.once('error', reject);
    exited.then((code) => reject(new Error(`the server exited (${code}) before printing its port:\n${stderrTail}`)));
    sleep(60_000, null, { ref: false }).then(() => reject(new Error('the server printed no port in 60 s')));
  });

  const server = {
    port,
    dir,
    url: (subdomain, pathname = '/') => `http://${subdomain}.localhost:${port}${pathname}`,
    /** Runs `$TENANTRY_BIN --config <the server's> ...args` and resolves with its stdout. */
    cli: async (...rest) => (await promisify(execFile)(BIN, args(...rest), { env })).stdout,
    async stop() {
      process.removeListener('exit', killNow);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(killNow, 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) return server;
    if (i === 100) {
      await server.stop();
      throw new Error(`no answer on /healthz of port ${port}:\n${stderrTail}`);
    }
    await sleep(100);
  }
}

// Messages already handed out by emailCode, so a second sign-in never gets the first one's code.
const readMessages = new Set();

/**
 * The 6-digit code (or what `pattern` captures) of the newest message to `email` that no earlier
 * call returned, from
 * `tenantry outbox list` (newest first). Mail is written after the HTTP answer, so it polls for
 * up to 10 s.
 */
async function emailCode(server, email, pattern = /^ {4}(\d{6})$/m) {
  for (let i = 0; i < 40; i++) {
    // Each message: `--- <RFC 3339 time> to <address> ---`, `Subject: …`, a blank line, then the
    // text, whose code stands alone on a line indented by four spaces.
    const messages = (await server.cli('outbox', 'list', '--limit', '100')).split(/^(?=--- )/m);
    for (const message of messages) {
      const header = message.match(/^--- (\S+) to (\S+) ---$/m);
      const code = message.match(pattern);
      if (header && code && header[2].toLowerCase() === email.toLowerCase()) {
        if (readMessages.has(header[0])) break; // the newest to this address was already read
        readMessages.add(header[0]);
        return code[1];
      }
    }
    await sleep(250);
  }
  throw new Error(`no new sign-in code for ${email} in the outbox after 10 s`);
}

/** Headless Chromium; playwright-core gives every launch a fresh, temporary profile. */
function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // The flags this machine's Chromium is known to run with. playwright-core already adds most
    // of them (and --disable-dev-shm-usage); it refuses --user-data-dir here and makes a fresh
    // profile itself. Without the background-networking flags Chromium keeps dialling Google's
    // hosts, which a closed network refuses.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh page (own cookies and storage), 10 s for any wait, the page's console on TEST_LOG. */
async function newPage(browser) {
  const context = await browser.newContext();
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.on('console', (m) => log(`[page ${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log(`[page exception] ${e.message}`));
  // What the console's Content-Security-Policy stopped: a style or script the page then lacks.
  page.refusedByPolicy = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/.test(m.text())) page.refusedByPolicy.push(m.text());
  });
  return page;
}

/** Saves a full-page PNG to target/browser-screenshots/<name>.png and returns its path. */
async function shot(page, name) {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Runs `steps(page)` on a fresh page; on failure saves `<name>-failed.png` first. */
async function withPage(name, steps) {
  const page = await newPage(browser);
  try {
    await steps(page);
    assert.deepEqual(page.refusedByPolicy, [], 'the page did something its Content-Security-Policy refused');
  } catch (error) {
    await shot(page, `${name}-failed`).then((f) => log(`screenshot: ${f}`), () => {});
    throw error;
  } finally {
    await page.context().close();
  }
}

// ---------------------------------------------------------------------------------------------
// The scenario. One server and one browser for the whole file; every test gets a fresh page.

const OPERATOR = 'operator@example.com'; // made by `serve --demo`

let server;
let browser;

before(async () => {
  await rm(SCREENSHOTS, { recursive: true, force: true }); // only this run's pictures
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('harness: sign-in codes reach the outbox', async () => {
  const start = () =>
    fetch(`http://127.0.0.1:${server.port}/auth/email/start`, {
      method: 'POST',
      // Node does not resolve *.localhost; the loopback peer is a trusted proxy.
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-Host': 'admin.localhost' },
      body: JSON.stringify({ email: OPERATOR }),
    });
  assert.equal((await start()).status, 202);
  const first = await emailCode(server, OPERATOR);
  assert.match(first, /^\d{6}$/);
  // A second code is a second message: emailCode never hands out the same message twice.
  assert.equal((await start()).status, 202);
  assert.match(await emailCode(server, OPERATOR), /^\d{6}$/);
});

/** Signs in on the page's console with an emailed code, as a person would. */
async function signIn(page, email) {
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Code').fill(await emailCode(server, email));
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** `POST /api/contact` as the page on `host` would send it, through the trusted loopback proxy. */
function contact(host, email) {
  return fetch(`http://127.0.0.1:${server.port}/api/contact`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-Host': host },
    body: JSON.stringify({ email, first_name: 'Ana', message: 'Airport runs?' }),
  });
}

async function hostBranding(host) {
  const response = await fetch(`http://127.0.0.1:${server.port}/api/branding`, {
    headers: { 'X-Forwarded-Host': host },
  });
  assert.equal(response.status, 200);
  return response.json();
}

const ADMIN = 'boss@globex.example';

/** axe-core's checker, run in the page by `audit`. */
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * Runs axe-core on the page as it stands and returns each serious or critical violation in words:
 * `label`, the rule, its impact, the first few elements it found it on, and what it found.
 */
async function audit(page, label) {
  // Evaluated rather than added as a <script>: the console's CSP refuses inline scripts, and the
  // test must not loosen it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await readFile(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const { violations } = await window.axe.run(document, { resultTypes: ['violations'] });
    return violations.map(({ id, impact, help, nodes }) => ({
      id,
      impact,
      help,
      why: [...nodes[0].any, ...nodes[0].all, ...nodes[0].none][0]?.message ?? '',
      targets: nodes.map((node) => node.target.join(' ')),
    }));
  });
  return violations
    .filter(({ impact }) => impact === 'serious' || impact === 'critical')
    .map(({ id, impact, help, why, targets }) => {
      const more = targets.length > 3 ? ` and ${targets.length - 3} more` : '';
      return `${label}: ${id} (${impact}) at ${targets.slice(0, 3).join(', ')}${more}: ${why || help}`;
    });
}

/** Waits until the console has drawn its page: a heading, and nothing left loading. */
async function settled(page) {
  await page.locator('main h1').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('main').textContent.includes('Loading…'));
}

test('an operator signs in, provisions a tenant, suspends and reactivates one', () =>
  withPage('operator', async (page) => {
    const response = await page.goto(server.url('admin'));
    assert.equal(response.status(), 200, `GET ${page.url()}`);
    await page.getByRole('heading', { name: 'Sign in to Tenantry' }).waitFor();
    await shot(page, 'signin');
    await signIn(page, OPERATOR);
    await page.getByRole('heading', { name: 'Tenants' }).waitFor();
    await page.getByRole('cell', { name: 'acme', exact: true }).waitFor();

    // The slug's availability is asked as it is typed, with the reason when taken.
    const slug = page.getByLabel('Slug', { exact: true });
    await slug.fill('acme');
    await page.getByText(/^acme is taken: .+/).waitFor();
    await slug.fill('globex');
    await page.getByText('globex is available.').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Globex');
    await page.getByLabel('Admin email').fill(ADMIN);
    await page.getByRole('button', { name: 'Provision' }).click();
    await page.getByText(/Globex \(globex\) is ready\. An invitation is on its way to boss@globex\.example/).waitFor();
    await page.getByRole('cell', { name: 'globex', exact: true }).waitFor();
    await shot(page, 'tenants');
    // The new admin hears of it by mail, with the address of Globex's console.
    const outbox = await server.cli('outbox', 'list', '--limit', '20');
    assert.match(outbox, new RegExp(`to ${ADMIN} ---\nSubject: You are invited to Globex`));
    assert.ok(outbox.includes(server.url('globex-admin')), outbox);
    // The platform's own tenant offers no action the API would refuse and no link to a host it
    // does not have.
    await page.getByText('The platform: operators work here').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Suspend main' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'main', exact: true }).count(), 0);

    // Suspension asks first, then for step-up (the operator has not re-proven who they are), and
    // stops the tenant's hosts at once; activation brings them back.
    // Cancelling the step-up says so in words beside the button, with no API detail.
    await page.getByRole('button', { name: 'Suspend acme' }).click();
    await page.getByRole('dialog', { name: 'Suspend acme?' }).getByRole('button', { name: 'Suspend tenant' }).click();
    // The operator has no passkey: the dialog sends a code as it opens, and says so once sent.
    const stepUp = page.getByRole('dialog', { name: "Confirm it's you" });
    await stepUp.getByText(`A code is on its way to ${OPERATOR}.`).waitFor();
    assert.equal(await stepUp.getByLabel('Password').count(), 0, 'a password is offered to an account without one');
    await stepUp.getByRole('button', { name: 'Confirm with code' }).click();
    await stepUp.getByText('Enter the 6-digit code from the email.').waitFor();
    await stepUp.getByRole('button', { name: 'Cancel' }).click();
    await emailCode(server, OPERATOR); // that dialog's code, never used
    await page.getByText("Not done: this change needs you to confirm it's you first, and that was cancelled.").waitFor();
    assert.equal(await page.getByText(/POST \/auth|elevate|retry with/).count(), 0, 'API words reach the page');
    await page.getByRole('button', { name: 'Suspend acme' }).click();
    await page.getByRole('dialog', { name: 'Suspend acme?' }).getByRole('button', { name: 'Suspend tenant' }).click();
    await stepUp.getByText(`A code is on its way to ${OPERATOR}.`).waitFor();
    await stepUp.getByLabel('Code').fill(await emailCode(server, OPERATOR));
    await stepUp.getByRole('button', { name: 'Confirm with code' }).click();
    await page.getByRole('button', { name: 'Activate acme' }).waitFor();
    const suspended = await fetch(`http://127.0.0.1:${server.port}/api/branding`, {
      headers: { 'X-Forwarded-Host': 'acme-rides.localhost' },
    });
    assert.equal(suspended.status, 404);
    await page.getByRole('button', { name: 'Activate acme' }).click();
    await page.getByRole('dialog', { name: 'Activate acme?' }).getByRole('button', { name: 'Activate tenant' }).click();
    await page.getByRole('button', { name: 'Suspend acme' }).waitFor();
    await hostBranding('acme-rides.localhost');
  }));

test("a tenant admin manages keys, domains, branding and leads on the tenant's admin host", () =>
  withPage('tenant-admin', async (page) => {
    await page.goto(server.url('globex-admin'));
    await page.getByRole('heading', { name: 'Sign in to Globex' }).waitFor();
    await signIn(page, ADMIN);
    await page.getByRole('heading', { name: 'Globex', exact: true }).waitFor();
    // A new tenant's way to its first lead, none of it done yet.
    await page.getByRole('heading', { name: 'Set up: 0 of 4 done' }).waitFor();
    await shot(page, 'overview');

    // A public key for "any app" is refused at the field before anyone is asked to confirm.
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Name', { exact: true }).fill('website');
    await page.getByLabel('Kind').selectOption('PUBLIC');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.locator('[data-field="app"] .field-error').getByText('Choose the app this public key is for: it ships inside that app or its pages.').waitFor();
    assert.equal(await page.getByRole('dialog').count(), 0, 'a step-up was asked before the input was checked');
    await page.getByLabel('Kind').selectOption('SECRET');

    // A key: the API asks for step-up, the console asks for an emailed code inline.
    await page.getByLabel('Name', { exact: true }).fill('billing backend');
    await page.getByRole('button', { name: 'Create key' }).click();
    const stepUp = page.getByRole('dialog', { name: "Confirm it's you" });
    await stepUp.getByText(`A code is on its way to ${ADMIN}.`).waitFor();
    await stepUp.getByLabel('Code').fill(await emailCode(server, ADMIN));
    await stepUp.getByRole('button', { name: 'Confirm with code' }).click();
    const secret = page.getByLabel('New key secret');
    await secret.waitFor();
    assert.match(await secret.inputValue(), /^btk_[0-9A-Za-z]{49}$/);
    await page.getByText('It is shown this once').waitFor();
    // How to use it: the curl snippet, copied as shown, runs against the server.
    const curl = await page.getByLabel('curl', { exact: true }).textContent();
    assert.ok(curl.includes(`X-Api-Key: ${await secret.inputValue()}`), curl);
    const ran = JSON.parse((await promisify(execFile)('bash', ['-c', curl])).stdout);
    assert.deepEqual(ran, { data: { viewer: { role: 'ADMIN', tenant: { slug: 'globex' } } } });
    await page.getByLabel('fetch', { exact: true }).getByText("'X-Api-Key'").waitFor();
    await shot(page, 'keys');
    const row = page.getByRole('row').filter({ hasText: 'billing backend' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await row.getByText('Revoked').waitFor();

    // A custom domain: the records to publish, then why verification fails.
    await page.getByRole('link', { name: 'Domains' }).click();
    await page.getByLabel('App', { exact: true }).selectOption('TAXI_PASSENGER');
    await page.getByLabel('Host', { exact: true }).fill('rides.globex.test');
    await page.getByRole('button', { name: 'Add domain' }).click();
    const domain = page.getByRole('article', { name: 'rides.globex.test' });
    await domain.getByText('_tenantry-challenge.rides.globex.test.').waitFor();
    await domain.getByText(/"tenantry-verify=.+"/).waitFor();
    await domain.getByRole('button', { name: 'Verify' }).click();
    await domain.getByText('did not pass: see the failed checks above').waitFor();
    await domain.getByText('✗ failed: dns — rides.globex.test resolves to a non-public address').waitFor();
    // One table of hosts by app, the new domain in it, not yet routing.
    await page.getByRole('row').filter({ hasText: 'rides.globex.test' }).filter({ hasText: 'Taxi passenger' })
      .getByText('Not verified: routes nothing yet').waitFor();
    await shot(page, 'domains');
    // The contact form, copied as shown onto a page of the tenant's host, files a lead there.
    await page.getByLabel('Page host').selectOption('globex-rides.localhost');
    const form = await page.getByLabel('Contact form snippet').textContent();
    assert.ok(form.includes(`http://globex-rides.localhost:${server.port}/api/contact`), form);
    const site = await page.context().newPage();
    const contactPage = server.url('globex-rides', '/contact-us');
    await site.route(contactPage, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><html lang="en"><title>Contact</title>${form}</html>` }));
    await site.goto(contactPage);
    await site.getByLabel('Email').fill('ana@example.com');
    await site.getByLabel('First name').fill('Ana');
    await site.getByLabel('Last name').fill('=1+2');
    await site.getByLabel('Message').fill('Airport runs?');
    await site.getByRole('button', { name: 'Send' }).click();
    await site.getByText('Thank you: we will be in touch.').waitFor();
    await site.close();

    // Branding: what the app's host serves changes with the save.
    assert.notEqual((await hostBranding('globex-rides.localhost')).display_name, 'Globex Rides');
    await page.getByRole('link', { name: 'Branding' }).click();
    await page.getByLabel('Edit').selectOption('TAXI_PASSENGER');
    await page.getByLabel('Display name').fill('Globex Rides');
    await page.getByLabel('Primary colour', { exact: true }).fill('#7A1FA2');
    await page.getByLabel('Preview').getByText('Globex Rides').waitFor();
    await page.getByRole('button', { name: 'Save branding' }).click();
    await page.getByText('Saved. Apps show it at once.').waitFor();
    const servedAt = server.url('globex-rides', '/api/branding');
    assert.ok((await page.getByRole('link', { name: servedAt }).count()) >= 1, `a link to ${servedAt}`);
    await shot(page, 'branding');
    const served = await hostBranding('globex-rides.localhost');
    assert.equal(served.display_name, 'Globex Rides');
    assert.equal(served.primary_color, '#7A1FA2');

    // Leads: one sent to Globex's host shows; one sent to Acme's never does.
    assert.equal((await contact('acme-rides.localhost', 'acme-only@example.com')).status, 201);
    await page.getByRole('link', { name: 'Leads' }).click();
    await page.getByRole('cell', { name: 'ana@example.com' }).waitFor();
    assert.equal(await page.getByText('acme-only@example.com').count(), 0);
    await page.getByRole('row').filter({ hasText: 'ana@example.com' }).getByText(contactPage).waitFor();
    await shot(page, 'leads');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = await readFile(await download.path(), 'utf8');
    assert.match(csv, /^createdAt,email,firstName,/);
    // A name a spreadsheet would run as a formula is exported as text.
    assert.match(csv, /ana@example\.com,Ana,'=1\+2,/);
    assert.doesNotMatch(csv, /acme-only/);
    await page.getByText('Exported 1 lead.').waitFor();
    // On a phone the page fits its width: tables become stacked rows, nothing scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'leads-phone');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'the page scrolls sideways at 390 px');
    // The navigation folds into a menu: one line of header, the pages a tap away.
    const header = await page.locator('#top').boundingBox();
    assert.ok(header.height <= 80, `the header is ${header.height} px high on a phone`);
    assert.equal(await page.getByRole('link', { name: 'Members' }).isVisible(), false);
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Members' }).isVisible(), false, 'the menu stays open after moving on');
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Leads' }).click();
    await page.getByRole('heading', { name: 'Leads' }).waitFor();
    await page.setViewportSize({ width: 1280, height: 720 });
    // A lead sent now appears without a reload, through the live connection.
    await page.getByText('Live: new leads appear as they arrive.').waitFor();
    assert.equal((await contact('globex-rides.localhost', 'live@example.com')).status, 201);
    await page.getByRole('cell', { name: 'live@example.com' }).waitFor();
    // Found by any part of the address, in any case.
    await page.getByLabel('Search').fill('LIVE');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('ana@example.com').waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'live@example.com' }).waitFor();

    // Members: invite one, who is mailed and listed as invited; the invitation can be sent again,
    // a role change is asked in words first, and an invitation can be cancelled.
    const CLERK = 'clerk@globex.example';
    const invitations = async () =>
      (await server.cli('outbox', 'list', '--limit', '100')).split(`to ${CLERK} ---\nSubject: You are invited to Globex`).length - 1;
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByLabel('Email').fill(CLERK);
    await page.getByLabel('Role', { exact: true }).selectOption('MEMBER');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText(`Invitation sent to ${CLERK}. They can sign in once it arrives.`).waitFor();
    const clerk = page.getByRole('row').filter({ hasText: CLERK });
    await clerk.getByText('Invited, not signed in yet').waitFor();
    assert.equal(await invitations(), 1);
    await clerk.getByRole('button', { name: `Resend the invitation to ${CLERK}` }).click();
    await page.getByText(`Invitation sent again to ${CLERK}.`).waitFor();
    assert.equal(await invitations(), 2);
    const role = clerk.getByLabel(`Role of ${CLERK}`);
    await role.selectOption('ADMIN');
    const ask = page.getByRole('dialog', { name: `Make ${CLERK} an admin?` });
    await ask.getByRole('button', { name: 'Cancel' }).click();
    // The dialog closes asynchronously; the choice is put back once it has.
    await ask.waitFor({ state: 'detached' });
    await page.waitForFunction((email) => document.querySelector(`[aria-label="Role of ${email}"]`)?.value === 'MEMBER', CLERK);
    await role.selectOption('ADMIN');
    await ask.getByRole('button', { name: 'Make an admin' }).click();
    await page.getByRole('row').filter({ hasText: CLERK }).getByLabel(`Role of ${CLERK}`).waitFor();
    await page.waitForFunction((email) => document.querySelector(`[aria-label="Role of ${email}"]`)?.value === 'ADMIN', CLERK);
    await shot(page, 'members');
    await page.getByRole('button', { name: `Cancel the invitation of ${CLERK}` }).click();
    await page.getByRole('dialog', { name: `Cancel the invitation of ${CLERK}?` }).getByRole('button', { name: 'Cancel invitation' }).click();
    await page.getByRole('row').filter({ hasText: CLERK }).waitFor({ state: 'detached' });

    // Every other page opens with no error: app links, audit (which saw the step-up), account.
    await page.getByRole('link', { name: 'App links' }).click();
    await page.getByRole('button', { name: 'Save app links' }).waitFor();
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('cell', { name: 'elevation.granted' }).waitFor();
    await shot(page, 'audit');
    await page.getByRole('link', { name: 'My account' }).click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    assert.equal(await page.locator('.form-error:visible').count(), 0);

    // A brand colour cannot make the console unreadable. Yellow, picked with the colour picker
    // for the tenant's defaults: the preview warns in words, and once saved the console draws its
    // links, outlined buttons and focus ring in a shade that reads (4.5:1 on its surfaces), and
    // yellow buttons with black text.
    await page.getByRole('link', { name: 'Branding' }).click();
    await page.getByLabel('Edit').selectOption('');
    await page.getByLabel('Primary colour: pick').fill('#ffcc00');
    assert.equal(await page.getByLabel('Primary colour', { exact: true }).inputValue(), '#FFCC00');
    await page.getByLabel('Preview').getByText(/^The primary colour on the background: 1\.\d:1\. It needs 3:1 to meet WCAG AA\.$/).waitFor();
    await page.getByRole('button', { name: 'Save branding' }).click();
    await page.getByText('Saved. Apps show it at once.').waitFor();
    await shot(page, 'branding-yellow');
    await page.reload();
    await page.getByRole('heading', { name: 'Branding' }).waitFor();
    const ratios = await page.evaluate(async () => {
      const { contrast } = await import('/console/colour.js');
      const rgb = (css) => `#${css.match(/\d+/g).slice(0, 3).map((n) => Number(n).toString(16).padStart(2, '0')).join('')}`;
      const style = (selector) => getComputedStyle(document.querySelector(selector));
      const probe = document.querySelector('main').appendChild(document.createElement('a'));
      probe.href = '#';
      probe.textContent = 'a link';
      probe.focus();
      const link = rgb(getComputedStyle(probe).color);
      const focus = rgb(getComputedStyle(probe).outlineColor);
      probe.remove();
      const outlined = rgb(style('button:not(.primary):not(.danger)').color);
      const filled = style('button.primary');
      return {
        link: Math.min(contrast(link, '#ffffff'), contrast(link, '#f4f4f4')),
        focus: Math.min(contrast(focus, '#ffffff'), contrast(focus, '#f4f4f4')),
        outlined: contrast(outlined, '#ffffff'),
        filled: contrast(rgb(filled.color), rgb(filled.backgroundColor)),
        filledBackground: rgb(filled.backgroundColor),
      };
    });
    assert.equal(ratios.filledBackground, '#ffcc00', 'buttons keep the brand colour');
    for (const [what, ratio] of Object.entries(ratios).filter(([k]) => k !== 'filledBackground')) {
      assert.ok(ratio >= 4.5, `${what} reads at ${ratio.toFixed(2)}:1 on a yellow brand`);
    }

    // The checklist follows: a domain added (not verified), the key revoked, a lead received.
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Set up: 2 of 4 done' }).waitFor();
    await page.getByRole('img', { name: '2 leads in the last 30 days: 2 from Taxi passenger.' }).waitFor();
    await page.getByText('Taxi passenger: 2').waitFor();
    const bar = await page.locator('.chart-bar').last().boundingBox();
    assert.ok(bar.height >= 50, `today's bar is ${bar.height} px high`);
    await page.locator('.activity li').first().waitFor();
    await shot(page, 'overview-activity');

    // No operator page for a tenant admin: the API refuses, the console says so.
    await page.goto(server.url('globex-admin', '/#/tenants'));
    await page.getByText(/Only platform operators can see tenants\. The API answered: .+/).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Tenants' }).count(), 0);
  }));

/**
 * The words under field `name` after a refusal: a sentence, with no API name, method or path in
 * it, and no step-up asked before the input was checked.
 */
async function saidAt(page, name) {
  const slot = page.locator(`[data-field="${name}"] .field-error:not([hidden])`);
  await slot.waitFor();
  const words = (await slot.textContent()).trim();
  assert.match(words, /^[A-Z0-9"“'].*[.!?]$/, `not a sentence at ${name}: ${words}`);
  assert.doesNotMatch(words, /\b[a-z]+[A-Z][A-Za-z]*\b|\b[a-z]+_[a-z_]+\b|\/graphql|\/auth|\bPOST\b/, `API words at ${name}: ${words}`);
  assert.equal(await page.getByRole('dialog').count(), 0, `a step-up was asked before ${name} was checked`);
  assert.equal(await page.locator(`[data-field="${name}"] [aria-invalid="true"]`).count(), 1, `${name} is not marked invalid`);
  return words;
}

test('every form says what is wrong in words, at the field concerned', () =>
  withPage('bad-input', async (page) => {
    // Signing in: a wrong code.
    await page.goto(server.url('globex-admin'));
    await page.getByLabel('Email').fill(ADMIN);
    await page.getByRole('button', { name: 'Send code' }).click();
    const code = await emailCode(server, ADMIN);
    await page.getByLabel('Code').fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const said = { code: await saidAt(page, 'code') };
    await page.getByLabel('Code').fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Globex', exact: true }).waitFor();

    await page.getByRole('link', { name: 'Domains', exact: true }).click();
    await page.getByLabel('Host', { exact: true }).fill('not a domain');
    await page.getByRole('button', { name: 'Add domain' }).click();
    said.host = await saidAt(page, 'host');

    await page.getByRole('link', { name: 'API keys', exact: true }).click();
    await page.getByLabel('Name', { exact: true }).fill('expired already');
    await page.getByLabel('Expires on').fill('2020-01-01');
    await page.getByRole('button', { name: 'Create key' }).click();
    said.expiresAt = await saidAt(page, 'expiresAt');

    await page.getByRole('link', { name: 'Branding', exact: true }).click();
    await page.getByLabel('Primary colour', { exact: true }).fill('#12');
    await page.getByRole('button', { name: /^Save/ }).first().click();
    said.primaryColor = await saidAt(page, 'primaryColor');

    await page.getByRole('link', { name: 'App links', exact: true }).click();
    // Two entries, the first removed: the words still find the one left.
    await page.getByRole('button', { name: 'Add an Android app' }).click();
    await page.getByRole('button', { name: 'Add an Android app' }).click();
    await page.getByRole('button', { name: 'Remove this Android app' }).first().click();
    await page.getByLabel('Package name').fill('com.globex.rides');
    await page.getByLabel('Certificate fingerprints (SHA-256, one per line)').fill('not-a-fingerprint');
    await page.getByRole('button', { name: 'Save app links' }).click();
    said.fingerprints = await saidAt(page, 'fingerprints-2');

    await page.getByRole('link', { name: 'Members', exact: true }).click();
    await page.getByLabel('Email').fill('not-an-address');
    await page.getByRole('button', { name: 'Invite' }).click();
    said.email = await saidAt(page, 'email');

    await page.getByRole('link', { name: 'Leads', exact: true }).click();
    await page.getByLabel('Search').fill('x'.repeat(101));
    await page.getByRole('button', { name: 'Filter' }).click();
    said.search = await saidAt(page, 'search');

    // The operator's provisioning form.
    await page.goto(server.url('admin'));
    await signIn(page, OPERATOR);
    await page.getByLabel('Slug', { exact: true }).fill('bad slug!');
    await page.getByLabel('Name', { exact: true }).fill('Bad');
    await page.getByLabel('Admin email').fill('admin@bad.example');
    await page.getByRole('button', { name: 'Provision' }).click();
    said.slug = await saidAt(page, 'slug');
    await page.getByLabel('Slug', { exact: true }).fill('fine-slug');
    await page.getByLabel('Admin email').fill('nobody');
    await page.getByRole('button', { name: 'Provision' }).click();
    said.adminEmail = await saidAt(page, 'adminEmail');
    assert.deepEqual(said, {
      code: 'The code is wrong or has expired (five wrong tries end a code: ask for a new one).',
      host: '“not a domain” is not a domain name: it cannot hold spaces.',
      expiresAt: 'Choose a day in the future, or leave it empty for a key that does not expire.',
      primaryColor: 'Must be a hex colour: #RGB, #RRGGBB or #RRGGBBAA.',
      fingerprints: '“not-a-fingerprint” is not a SHA-256 fingerprint: 32 pairs of hex digits separated by colons.',
      email: '“not-an-address” is not an email address, like dana@example.com.',
      search: 'Must be at most 100 characters.',
      slug: 'May contain only lower-case letters, digits and hyphens.',
      adminEmail: '“nobody” is not an email address, like dana@example.com.',
    });
  }));

test('a passkey added under "My account" signs in; sessions can be revoked', () =>
  withPage('passkey', async (page) => {
    // Chromium's virtual authenticator stands in for a phone or a security key.
    const devtools = await page.context().newCDPSession(page);
    await devtools.send('WebAuthn.enable');
    await devtools.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    });
    await page.goto(server.url('globex-admin', '/#/account'));
    await signIn(page, ADMIN);
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    await page.getByText('No passkeys yet.').waitFor();
    await page.getByLabel('Name of the new passkey (optional)').fill('Test laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    // A passkey is a way in for good: the console asks for a fresh proof first.
    const stepUp = page.getByRole('dialog', { name: "Confirm it's you" });
    await stepUp.getByText(`A code is on its way to ${ADMIN}.`).waitFor();
    await stepUp.getByLabel('Code').fill(await emailCode(server, ADMIN));
    await stepUp.getByRole('button', { name: 'Confirm with code' }).click();
    await page.getByText('Passkey “Test laptop” added. Next time, choose “Passkey” when you sign in.').waitFor();
    await page.getByRole('cell', { name: 'Test laptop', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Remove the passkey Test laptop' }).waitFor();
    // Each session is named by the browser and system it began on, and the address it came from.
    const current = page.getByRole('row').filter({ hasText: 'this browser' });
    await current.getByRole('cell', { name: /^Chrome on Linux · (127\.0\.0\.1|::1)$/ }).waitFor();
    // The session of the earlier test is listed beside this one, and can be ended from here.
    const others = page.getByRole('row').filter({ has: page.getByRole('button', { name: 'Revoke' }) });
    assert.ok((await others.count()) >= 1);
    const before = await others.count();
    await others.first().getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke session' }).click();
    await page.waitForFunction(
      (n) => [...document.querySelectorAll('tbody tr button')].filter((b) => b.textContent === 'Revoke').length < n,
      before,
    );
    await shot(page, 'account');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Passkey', exact: true }).click();
    await page.getByLabel('Email').fill(ADMIN);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('heading', { name: 'Globex', exact: true }).waitFor();

    // Removing it needs a fresh proof too, given here by the passkey itself; then it is gone.
    await page.goto(server.url('globex-admin', '/#/account'));
    await page.getByRole('button', { name: 'Remove the passkey Test laptop' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove passkey' }).click();
    // With a passkey, the dialog opens on it and mails nothing unasked.
    const withPasskey = page.getByRole('dialog', { name: "Confirm it's you" });
    await withPasskey.getByRole('button', { name: 'Use a passkey' }).waitFor();
    assert.equal(await withPasskey.getByText(/A code is on its way/).count(), 0, 'a code was sent though a passkey is there');
    assert.equal(await withPasskey.locator('button').first().textContent(), 'Use a passkey');
    await withPasskey.getByRole('button', { name: 'Use a passkey' }).click();
    await page.getByText('No passkeys yet.').waitFor();
  }));

test('a password set through a mailed reset token signs in', () =>
  withPage('password', async (page) => {
    await page.goto(server.url('globex-admin'));
    await page.getByRole('button', { name: 'Password', exact: true }).click();
    await page.getByRole('button', { name: 'Forgot or never set a password?' }).click();
    await page.getByLabel('Email').fill(ADMIN);
    await page.getByRole('button', { name: 'Email me a reset token' }).click();
    const token = await emailCode(server, ADMIN, /^ {4}(\S{20,})$/m);
    await page.getByLabel('Reset token').fill(token);
    await page.getByLabel('New password').fill('short');
    await page.getByRole('button', { name: 'Set password' }).click();
    // The API's rule, in words, next to the form.
    await page.getByRole('alert').filter({ hasText: /10 characters/ }).waitFor();
    await page.getByLabel('New password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Password set. Sign in with it.').waitFor();
    await page.getByLabel('Email').fill(ADMIN);
    await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Globex', exact: true }).waitFor();
  }));

test('harness: the accessibility audit reports a serious violation', () =>
  withPage('axe-harness', async (page) => {
    await page.goto(server.url('admin'));
    await settled(page);
    await page.evaluate(() => {
      const faint = document.querySelector('main').appendChild(document.createElement('p'));
      faint.textContent = 'Grey on white';
      faint.style.color = '#d0d0d0';
    });
    const [problem, ...rest] = await audit(page, 'faint text');
    assert.match(problem, /^faint text: color-contrast \(serious\) at #main > p: Element has insufficient color contrast of 1\.\d/);
    assert.deepEqual(rest, []);
  }));

// Brands the console must stay readable under: a dark one, a yellow one (too light for white text
// on it, or for links in it on white), and the default colours, last, so the tenants end on them.
const BRANDS = {
  dark: { primaryColor: '#1B1F3B', accentColor: '#2E3470', backgroundColor: '#0E1021', textColor: '#F2F2F7' },
  yellow: { primaryColor: '#FFCC00', accentColor: '#FFE680', backgroundColor: null, textColor: null },
  light: { primaryColor: null, accentColor: null, backgroundColor: null, textColor: null },
};

test('every page of the console passes axe-core under a light, a dark and a yellow brand', async () => {
  // An operator key sets each tenant's defaults through the API, as a script would.
  const { secret } = JSON.parse(await server.cli('key', 'create', '--tenant', 'main', '--kind', 'secret', '--name', 'axe', '--json'));
  const setBrand = async (slug, colours) => {
    const response = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-Host': 'admin.localhost', 'X-Api-Key': secret },
      body: JSON.stringify({
        query: 'mutation Brand($slug: String, $input: BrandingInput!) { updateBranding(tenantSlug: $slug, input: $input) { primaryColor } }',
        variables: { slug, input: colours },
      }),
    });
    const { errors } = await response.json();
    assert.equal(errors, undefined, `branding ${slug}`);
  };
  // The operator's console, and Globex's as its admin (both from the tests above).
  const consoles = [
    { host: 'admin', slug: 'main', email: OPERATOR },
    { host: 'globex-admin', slug: 'globex', email: ADMIN },
  ];
  // A lead, so that the leads page shows its table whatever the tests above left.
  assert.equal((await contact('globex-rides.localhost', 'axe@example.com')).status, 201);
  const problems = [];
  await withPage('axe-signin', (visitor) =>
    withPage('axe', async (page) => {
      for (const { host, email } of consoles) {
        await page.goto(server.url(host));
        await signIn(page, email);
        await settled(page);
      }
      for (const [brand, colours] of Object.entries(BRANDS)) {
        for (const { host, slug } of consoles) {
          await setBrand(slug, colours);
          await visitor.goto(server.url(host));
          await settled(visitor);
          problems.push(...(await audit(visitor, `${host} ${brand} sign-in`)));
          await page.goto(server.url(host));
          await settled(page);
          const primary = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--primary'));
          assert.equal(primary.trim(), colours.primaryColor?.toLowerCase() ?? '#0f62fe', `${host} wears the ${brand} brand`);
          // Every page the navigation offers this role.
          const paths = await page
            .getByRole('navigation', { name: 'Console' })
            .getByRole('link')
            .evaluateAll((links) => links.map((link) => link.getAttribute('href')));
          for (const path of paths) {
            await page.goto(server.url(host, `/${path}`));
            await page.locator(`nav a[href="${path}"][aria-current="page"]`).waitFor();
            await settled(page);
            problems.push(...(await audit(page, `${host} ${brand} ${path}`)));
          }
        }
      }
    }));
  assert.deepEqual(problems, [], `serious or critical accessibility violations:\n${problems.join('\n')}`);
});
