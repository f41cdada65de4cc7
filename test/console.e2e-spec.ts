// The operator console (/console) in real Chromium, against the real app, models and MariaDB: a
// person enrols people through the file inputs, opens one, edits their details, verifies two
// photos, identifies a group, reads the calibration, watches the service, erases a person and
// finds it in the audit trail. Every page is checked for script errors, failed requests,
// unlabelled controls and controls the keyboard cannot reach, and leaves a screenshot in
// test/artifacts/console/.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { projectRoot } from '../src/common/project-root.js';
import { startApp, type EnvOverrides } from './support/app.js';
import { launchChromium, noBrowser } from './support/browser.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { assertKeyboardReachable, assertLabelled, PageProblems } from './support/page-checks.js';

/** What the spec reads inside the page; declared in this module only, away from Node's types. */
declare const sessionStorage: { getItem(name: string): string | null };
declare const navigator: { clipboard: { readText(): Promise<string> } };
declare const performance: { getEntriesByName(name: string): { startTime: number }[] };
interface PageImage {
  complete: boolean;
  naturalWidth: number;
}

const ARTIFACTS = join(projectRoot(), 'test', 'artifacts', 'console');
const fixture = (name: string) => join(projectRoot(), 'test', 'fixtures', name);
const NO_FACE = 'No face detected in the image. Please upload an image with a clear face.';

describe('the operator console in a real browser', { skip: noBrowser }, () => {
  let database: TestDatabase;
  let app: INestApplication;
  let browser: Browser;
  let baseUrl: string;
  let page: Page;
  let problems: PageProblems;

  const start = async (overrides: EnvOverrides = {}) => {
    await app?.close();
    app = await startApp({ DATABASE_URL: database.url, FACE_WORKERS: '1', ...overrides });
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
  };

  /** The page is whole: no problem so far, everything named and reachable; then its picture. */
  const checkPage = async (name: string) => {
    await assertLabelled(page);
    await assertKeyboardReachable(page);
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    problems.assertNone();
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    database = await createTestDatabase();
    await start();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  it('should enrol, show, verify, identify, chart, monitor, erase and audit, with no page problem', async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = new PageProblems(page);
    const server = app.getHttpServer() as App;

    // People: empty at first, the enrolment panel open.
    await page.goto(`${baseUrl}/console/`);
    await page.getByText('Nobody is enrolled yet.').waitFor();
    // Recorded, not asserted: a shared 2-core machine's timings are noise (docs/development.md).
    const paint = await page.evaluate(() =>
      performance.getEntriesByName('first-contentful-paint').map((entry) => entry.startTime),
    );
    writeFileSync(join(ARTIFACTS, 'first-paint.json'), `${JSON.stringify({ ms: paint[0] })}\n`);
    await checkPage('0-people-empty');

    // Enrol two people through the file input the drop zone labels: one line per file.
    const name = page.getByLabel('Name of the person');
    const photos = page.getByLabel(/Drop photos here/);
    await name.fill('Amy');
    await photos.setInputFiles([fixture('person-a-1.jpg'), fixture('person-a-2.jpg')]);
    await page.locator('.progress-enrolled').nth(1).waitFor({ timeout: 60_000 });
    await name.fill('Bob');
    problems.expect('/upload_reference', 400);
    await photos.setInputFiles([fixture('person-b-1.jpg'), fixture('no-face.png')]);
    const refused = page.locator('.progress-refused');
    await refused.waitFor({ timeout: 60_000 });
    assert.equal(await refused.locator('.progress-name').innerText(), 'no-face.png');
    assert.equal(await refused.locator('.progress-state').innerText(), `refused: ${NO_FACE}`);
    await page.locator('.progress-enrolled').nth(2).waitFor({ timeout: 60_000 });
    // Penny is in the group photo identified below.
    await name.fill('Penny');
    await photos.setInputFiles([fixture('crop-penny-1.png')]);
    await page.locator('.progress-enrolled').nth(3).waitFor({ timeout: 60_000 });

    // Both appear with their faces and photo counts; the search narrows the list.
    const cards = page.locator('.person-card');
    await page.locator('.person-card img.face').nth(2).waitFor();
    assert.deepEqual(await cards.locator('.person-name').allInnerTexts(), ['Amy', 'Bob', 'Penny']);
    assert.deepEqual(await cards.locator('.person-count').allInnerTexts(), [
      '2 photos',
      '1 photo',
      '1 photo',
    ]);
    assert.ok(
      await page
        .locator('.person-card img.face')
        .first()
        .evaluate((image: PageImage) => image.complete && image.naturalWidth === 144),
      'the face thumbnail loaded at twice its size',
    );
    await checkPage('1-people');
    await page.getByLabel('Search by name').fill('am');
    assert.deepEqual(await cards.locator('.person-name').allInnerTexts(), ['Amy']);

    // A person: their photos with the face boxed, quality, and details saved.
    await cards.getByText('Amy').click();
    await page.getByRole('heading', { name: 'Amy', level: 1 }).waitFor();
    await page.locator('.photo-card .photo-marks rect').nth(1).waitFor();
    assert.equal(await page.locator('.photo-card').count(), 2);
    assert.equal(await page.locator('.photo-card .quality').count(), 2);
    await page.getByRole('button', { name: 'Add a field' }).click();
    await page.getByRole('textbox', { name: 'Field', exact: true }).fill('team');
    await page.getByRole('textbox', { name: 'Value', exact: true }).fill('night shift');
    await page.getByRole('button', { name: 'Save details' }).click();
    await page.getByRole('status').getByText('Saved.').waitFor();
    const amy = await request(server).get('/subjects/Amy').expect(200);
    assert.deepEqual((amy.body as { metadata: unknown }).metadata, { team: 'night shift' });
    await checkPage('2-person');

    // Try it: two photos of Amy are the same person, shown on the scale with the rate in words.
    await page.getByRole('link', { name: 'Try it' }).click();
    await page.getByLabel(/First photo/).setInputFiles(fixture('person-a-1.jpg'));
    await page.getByLabel(/Second photo/).setInputFiles(fixture('person-a-2.jpg'));
    await page.getByRole('button', { name: 'Compare' }).click();
    const verdict = page.locator('.verdict');
    await verdict.waitFor({ timeout: 60_000 });
    assert.match(await verdict.locator('.verdict-head').innerText(), /^Same person/);
    assert.match(await verdict.innerText(), /Two different people come this close about 1 in/);
    assert.equal(await page.locator('.pair .photo-marks rect').count(), 2);
    assert.equal(await verdict.locator('svg.scale').count(), 1);

    // Identify: every face of the group photo boxed and numbered, each with its candidates.
    await page.getByLabel(/Photo to search/).setInputFiles(fixture('group-6-faces.jpg'));
    await page.getByRole('button', { name: 'Identify' }).click();
    await page.locator('.faces > li').first().waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('.faces > li').count(), 6);
    assert.equal(await page.locator('.identify .photo-marks rect').count(), 6);
    // Penny is found, her enrolled face beside her name; the five strangers name only the closest.
    const found = page.locator('.candidates li.candidate-match');
    assert.equal(await found.count(), 1);
    assert.match(await found.innerText(), /^Penny\nmatch · distance 0\.0\d+/);
    assert.equal(
      await page.getByText(/^Nobody enrolled is close enough; the closest is/).count(),
      5,
    );
    await checkPage('3-try');

    // Calibration: the rates against the threshold, the levels marked, the ROC, the sets.
    await page.getByRole('link', { name: 'Calibration' }).click();
    await page.locator('.series-far').waitFor();
    const marks = await page.locator('.chart-mark text').allTextContents();
    assert.deepEqual(marks.sort(), ['default', 'high', 'low', 'medium']);
    assert.ok((await page.locator('.series-far').getAttribute('d'))!.split('L').length > 50);
    assert.equal(await page.locator('.roc-point').count(), 10);
    const points = await page.locator('table').first().innerText();
    assert.match(points, /default\s+0\.079/);
    assert.match(await page.locator('table').last().innerText(), /lfw-dev/);
    await checkPage('4-calibration');

    // Service: ready, the engine's backend and workers, refreshed.
    await page.getByRole('link', { name: 'Service' }).click();
    await page.locator('.badge-ok').getByText('Ready').waitFor();
    await page.locator('.stat', { hasText: 'Workers' }).getByText('1').waitFor();
    // Requests in two refresh windows draw a line of the recent latency.
    const latency = page.locator('.series-latency');
    for (let round = 0; round < 40 && !(await latency.getAttribute('d'))?.includes('L'); round++) {
      await request(server).get('/list_references').expect(200);
      await page.waitForTimeout(250);
    }
    assert.match((await latency.getAttribute('d')) ?? '', /^M[\d.]+ [\d.]+ L/);
    await checkPage('5-service');

    // Erase Bob: the dialog names what goes and waits for his name.
    await page.getByRole('link', { name: 'People' }).click();
    await cards.getByText('Bob').click();
    await page.getByRole('button', { name: 'Erase Bob…' }).click();
    const dialog = page.getByRole('dialog');
    assert.match(await dialog.innerText(), /the one photo of Bob, with its face and embedding/);
    const erase = dialog.getByRole('button', { name: 'Erase Bob' });
    assert.equal(await erase.isDisabled(), true);
    await page.screenshot({ path: join(ARTIFACTS, '6-erase-dialog.png') });
    await dialog.getByLabel('Type Bob to confirm').fill('Bob');
    await erase.click();
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    await page.locator('.person-card').first().waitFor();
    assert.deepEqual(await cards.locator('.person-name').allInnerTexts(), ['Amy', 'Penny']);
    const left = await request(server).get('/subjects').expect(200);
    assert.deepEqual((left.body as { subjects: unknown[] }).subjects, [
      { subject: 'Amy', references: 2 },
      { subject: 'Penny', references: 1 },
    ]);

    // The audit trail has the erasure; the filter finds it alone.
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.locator('table.audit tbody tr').first().waitFor();
    await page.getByLabel('Action').selectOption('person-erase');
    await page.getByRole('button', { name: 'Filter' }).click();
    // The unfiltered page, newest first, shows the erasure too: wait for the filtered one.
    const rows = page.locator('table.audit tbody tr');
    for (let wait = 0; wait < 100 && (await rows.count()) !== 1; wait++) {
      await page.waitForTimeout(100);
    }
    assert.equal(await rows.count(), 1);
    assert.match(await rows.innerText(), /erased a person/);
    await checkPage('7-audit');

    // Keys, with API_KEYS unset: the service checks none, and the page says so instead of failing.
    problems.expect('/keys', 409);
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByText(/This service does not check keys: API_KEYS is unset/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Make the key' }).count(), 0);
    problems.assertNone();
    await page.close();
  });

  it('should ask for a key when API_KEYS is set, keep it for the tab, and send it', async () => {
    const key = 'console-spec-key-0123456789';
    await start({ API_KEYS: key });
    const server = app.getHttpServer() as App;
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = new PageProblems(page);
    // The first call, unauthenticated, is what tells the console to ask.
    problems.expect('/calibration', 401);
    problems.expect('/subjects', 401);
    await page.goto(`${baseUrl}/console/`);
    await page.getByRole('heading', { name: 'API key' }).waitFor();
    await checkPage('8-key');
    await page.getByLabel('Key').fill(key);
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.locator('.person-card', { hasText: 'Amy' }).waitFor();
    // Both faces in, before the reload below: it would cut a request still on its way.
    await page.locator('.person-card img.face').nth(1).waitFor();
    assert.equal(
      await page.evaluate(() => sessionStorage.getItem('facegate.apiKey')),
      key,
      'kept in sessionStorage',
    );
    await page.reload();
    await page.locator('.person-card', { hasText: 'Amy' }).waitFor();
    problems.assertNone();

    // Keys: make one for a kiosk with the form, its secret shown once, then revoke it.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: baseUrl,
    });
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByText('No keys made yet').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('front-door kiosk');
    assert.deepEqual(
      await page.getByLabel('Collection').locator('option').allInnerTexts(),
      ['default'],
      'the collections of GET /collections',
    );
    await page.getByRole('checkbox', { name: /^verify/ }).check();
    await page.getByRole('checkbox', { name: /^read/ }).check();
    await page.getByRole('button', { name: 'Make the key' }).click();
    const secret = page.getByLabel('Secret', { exact: true });
    await secret.waitFor();
    assert.match(await page.locator('.secret').innerText(), /it will not be shown again/);
    const made = await secret.inputValue();
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('status').getByText('Copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), made);
    // The secret works, for what it was given: read yes, admin no.
    await request(server).get('/subjects').set('X-API-Key', made).expect(200);
    await request(server).get('/keys').set('X-API-Key', made).expect(403);
    const row = page.locator('table.key-list tbody tr', { hasText: 'front-door kiosk' });
    await row.waitFor();
    assert.match(await row.innerText(), /default\s+verify\s*read/);
    assert.equal(await row.locator('.key-state').innerText(), 'active');
    await checkPage('9-keys');

    // Revoke, confirmed in a dialog; the row stays, marked, and the secret is refused at once.
    await row.getByRole('button', { name: 'Revoke front-door kiosk…' }).click();
    const confirm = page.getByRole('dialog');
    assert.match(await confirm.innerText(), /Every request with this key is refused from now on/);
    await confirm.getByRole('button', { name: 'Revoke the key' }).click();
    await row.locator('.key-state', { hasText: /^revoked / }).waitFor();
    assert.equal(await row.getByRole('button').count(), 0);
    await request(server).get('/subjects').set('X-API-Key', made).expect(401);
    await assertLabelled(page);
    problems.assertNone();
    await page.close();
  });
});
