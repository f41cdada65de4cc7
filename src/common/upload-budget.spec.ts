import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Request } from 'express';
import type { AppConfig } from '../config/app-config.js';
import type { EnvironmentVariables } from '../config/environment.js';
import { UploadBudget } from './upload-budget.js';

const budgetOf = (env: Partial<EnvironmentVariables>) => {
  const config: AppConfig = { env: env as EnvironmentVariables };
  return new UploadBudget(config);
};

/** A request whose response ends when `finish()` is called. */
function request(): { request: Request; finish: () => void } {
  const response = new EventEmitter();
  return {
    request: { res: response } as unknown as Request,
    finish: () => response.emit('close'),
  };
}

describe('UploadBudget', () => {
  it('should default to four uploads of MAX_UPLOAD_BYTES', () => {
    assert.equal(budgetOf({ MAX_UPLOAD_BYTES: 1000 }).limit, 4000);
    assert.equal(budgetOf({ MAX_UPLOAD_BYTES: 1000, MAX_INFLIGHT_UPLOAD_BYTES: 1500 }).limit, 1500);
  });

  it('should admit declared bodies while they fit, and one alone whatever its size', () => {
    const budget = budgetOf({ MAX_UPLOAD_BYTES: 100, MAX_INFLIGHT_UPLOAD_BYTES: 1000 });
    const huge = request();
    assert.ok(budget.admit(huge.request, 5000), 'alone');
    assert.equal(budget.admit(request().request, 1), false);
    huge.finish();
    assert.equal(budget.inUse, 0);
    const [first, second] = [request(), request()];
    assert.ok(budget.admit(first.request, 600));
    assert.ok(budget.admit(second.request, 400));
    assert.equal(budget.admit(request().request, 1), false);
    // Buffering what was declared costs nothing more.
    assert.ok(budget.take(first.request, 600));
    assert.equal(budget.inUse, 1000);
    first.finish();
    first.finish();
    assert.equal(budget.inUse, 400);
  });

  it('should count chunked bodies as they arrive, and give back all of one that goes over', () => {
    const budget = budgetOf({ MAX_UPLOAD_BYTES: 100, MAX_INFLIGHT_UPLOAD_BYTES: 1000 });
    const [first, second] = [request(), request()];
    assert.ok(budget.take(first.request, 700));
    assert.ok(budget.take(second.request, 200));
    assert.equal(budget.take(second.request, 200), false);
    assert.equal(budget.inUse, 700, "the refused body's bytes are given back");
    assert.equal(budget.take(second.request, 1), false, 'and it stays refused');
    second.finish();
    assert.equal(budget.inUse, 700);
    // Alone, a chunked body may go past the limit.
    first.finish();
    const alone = request();
    assert.ok(budget.take(alone.request, 1500));
    alone.finish();
    assert.equal(budget.inUse, 0);
  });
});
