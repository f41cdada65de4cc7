import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { projectRoot } from '../src/common/project-root.js';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { startApp } from './support/app.js';
import { launchChromium, noBrowser } from './support/browser.js';

describe('Swagger UI in a real browser', { skip: noBrowser }, () => {
  let app: INestApplication;
  let browser: Browser;
  let baseUrl: string;

  before(async () => {
    app = await startApp();
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('should list every endpoint and upload a photo through "Try it out"', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    await page.goto(`${baseUrl}/docs`);
    await page.locator('.opblock').first().waitFor();
    for (const path of [
      '/upload_reference',
      '/compare_with_reference',
      '/list_references',
      '/delete_reference/{key}',
    ]) {
      assert.equal(
        await page.locator(`.opblock-summary-path[data-path="${path}"]`).count(),
        1,
        path,
      );
    }

    const operation = page.locator('#operations-references-ReferencesController_uploadReference');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation
      .locator('input[type="file"]')
      .setInputFiles(join(projectRoot(), 'test', 'fixtures', 'person-a-1.jpg'));
    await operation.locator('button.execute').click();

    const liveResponse = operation.locator('.live-responses-table .response').first();
    await liveResponse.waitFor({ timeout: 60_000 });
    assert.equal((await liveResponse.locator('.response-col_status').innerText()).trim(), '200');
    assert.match(
      await liveResponse.locator('.response-col_description').innerText(),
      /Reference embedding saved with key: [0-9a-f]{32}/,
    );

    const artifacts = join(projectRoot(), 'test', 'artifacts');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'swagger-ui-upload.png'), fullPage: false });
  });
  it('should send a scoped key entered in the Authorize box, and show its 403 for a scope it lacks', async () => {
    const admin = 'swagger-admin-key-0123456789';
    const keyed = await startApp({ API_KEYS: admin });
    try {
      await keyed.listen(0, '127.0.0.1');
      const { port } = (keyed.getHttpServer() as Server).address() as AddressInfo;
      const { secret } = (
        await request(keyed.getHttpServer() as App)
          .post('/keys')
          .set('X-API-Key', admin)
          .send({ name: 'swagger reader', collection: 'default', scopes: ['read'] })
          .expect(201)
      ).body as { secret: string };
      const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
      await page.goto(`http://127.0.0.1:${port}/docs`);
      await page.locator('.opblock').first().waitFor();
      await page.locator('button.btn.authorize').first().click();
      const scheme = page.locator('.auth-container').filter({ hasText: 'X-API-Key' });
      await scheme.locator('input').fill(secret);
      await scheme.locator('button.authorize').click();
      await page.locator('button.btn-done').first().click();

      const tryOut = async (id: string) => {
        const operation = page.locator(`#${id}`);
        await operation.locator('.opblock-summary').click();
        await operation.locator('button.try-out__btn').click();
        await operation.locator('button.execute').click();
        const response = operation.locator('.live-responses-table .response').first();
        await response.waitFor({ timeout: 60_000 });
        return {
          status: (await response.locator('.response-col_status').innerText()).trim(),
          body: await response.locator('.response-col_description').innerText(),
        };
      };
      assert.equal(
        (await tryOut('operations-references-ReferencesController_listReferences')).status,
        '200',
      );
      const refused = await tryOut('operations-keys-KeysController_list');
      assert.equal(refused.status, '403');
      assert.match(refused.body, /This key may not list keys: it lacks the scope 'admin'/);
    } finally {
      await keyed.close();
    }
  });
});
