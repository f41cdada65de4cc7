import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { projectRoot } from '../src/common/project-root.js';
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
});
