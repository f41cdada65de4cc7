import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Request } from 'express';
import type { AppConfig } from '../config/app-config.js';
import type { EnvironmentVariables } from '../config/environment.js';
import { UploadBudget } from './upload-budget.js';
import { uploadClientOf } from './upload-client.js';

const budgetOf = (env: Partial<EnvironmentVariables>) => {
  const config: AppConfig = { env: env as EnvironmentVariables };
  return new UploadBudget(config);
};

/** A request from `ip` whose response ends when `finish()` is called. */
function request(
  ip = '127.0.0.1',
  headers: Record<string, string> = {},
): { request: Request; finish: () => void } {
  const response = new EventEmitter();
  return {
    request: { res: response, ip, headers } as unknown as Request,
    finish: () => response.emit('close'),
  };
}

describe('UploadBudget', () => {
  it('should default to four uploads of MAX_UPLOAD_BYTES', () => {
    assert.equal(budgetOf({ MAX_UPLOAD_BYTES: 1000 }).limit, 4000);
    assert.equal(budgetOf({ MAX_UPLOAD_BYTES: 1000, MAX_INFLIGHT_UPLOAD_BYTES: 1500 }).limit, 1500);
  });

  it('should default the share of a client to half the budget, and at least one upload', () => {
    assert.equal(budgetOf({ MAX_UPLOAD_BYTES: 1000 }).perClient, 2000);
    const small = budgetOf({ MAX_UPLOAD_BYTES: 1000, MAX_INFLIGHT_UPLOAD_BYTES: 1500 });
    assert.equal(small.perClient, 1000);
    const set = budgetOf({ MAX_UPLOAD_BYTES: 1000, MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT: 3000 });
    assert.equal(set.perClient, 3000);
  });

  it('should admit declared bodies while they fit, and one alone whatever its size', () => {
    const budget = budgetOf({
      MAX_UPLOAD_BYTES: 100,
      MAX_INFLIGHT_UPLOAD_BYTES: 1000,
      MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT: 1000,
    });
    const huge = request();
    assert.equal(budget.admit(huge.request, 5000), 'admitted', 'alone');
    assert.equal(budget.admit(request().request, 1), 'budget-full');
    huge.finish();
    assert.equal(budget.inUse, 0);
    const [first, second] = [request(), request()];
    assert.equal(budget.admit(first.request, 600), 'admitted');
    assert.equal(budget.admit(second.request, 400), 'admitted');
    assert.equal(budget.admit(request().request, 1), 'budget-full');
    // Buffering what was declared costs nothing more.
    assert.equal(budget.take(first.request, 600), 'admitted');
    assert.equal(budget.inUse, 1000);
    first.finish();
    first.finish();
    assert.equal(budget.inUse, 400);
  });

  it('should count chunked bodies as they arrive, and give back all of one that goes over', () => {
    const budget = budgetOf({
      MAX_UPLOAD_BYTES: 100,
      MAX_INFLIGHT_UPLOAD_BYTES: 1000,
      MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT: 1000,
    });
    const [first, second] = [request(), request()];
    assert.equal(budget.take(first.request, 700), 'admitted');
    assert.equal(budget.take(second.request, 200), 'admitted');
    assert.equal(budget.take(second.request, 200), 'budget-full');
    assert.equal(budget.inUse, 700, "the refused body's bytes are given back");
    assert.equal(budget.take(second.request, 1), 'budget-full', 'and it stays refused');
    second.finish();
    assert.equal(budget.inUse, 700);
    // Alone, a chunked body may go past the limit.
    first.finish();
    const alone = request();
    assert.equal(budget.take(alone.request, 1500), 'admitted');
    alone.finish();
    assert.equal(budget.inUse, 0);
  });

  describe('the share of each client', () => {
    const shared = () =>
      budgetOf({
        MAX_UPLOAD_BYTES: 100,
        MAX_INFLIGHT_UPLOAD_BYTES: 1000,
        MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT: 500,
      });

    it("should refuse a client's upload beyond its share while admitting another client's", () => {
      const budget = shared();
      const slow = [request('10.0.0.1'), request('10.0.0.1')];
      assert.equal(budget.admit(slow[0].request, 300), 'admitted');
      assert.equal(budget.admit(slow[1].request, 200), 'admitted', 'up to the share');
      assert.equal(budget.admit(request('10.0.0.1').request, 1), 'client-share');
      assert.equal(budget.heldBy('10.0.0.1'), 500);
      const other = request('10.0.0.2');
      assert.equal(budget.admit(other.request, 500), 'admitted');
      assert.equal(budget.inUse, 1000);
      // The budget is full: the whole budget speaks first.
      assert.equal(budget.admit(request('10.0.0.3').request, 1), 'budget-full');
      slow[0].finish();
      assert.equal(budget.heldBy('10.0.0.1'), 200);
      assert.equal(budget.admit(request('10.0.0.1').request, 300), 'admitted');
    });

    it('should admit the first upload of a client whatever its size, as far as its share goes', () => {
      const budget = shared();
      const large = request('10.0.0.1');
      assert.equal(budget.admit(large.request, 800), 'admitted');
      assert.equal(budget.admit(request('10.0.0.1').request, 1), 'client-share');
      large.finish();
      assert.equal(budget.heldBy('10.0.0.1'), 0);
      assert.equal(budget.inUse, 0);
    });

    it('should count chunked bodies against their client, and give back all of one that goes over', () => {
      const budget = shared();
      const [first, second] = [request('10.0.0.1'), request('10.0.0.1')];
      assert.equal(budget.take(first.request, 400), 'admitted');
      assert.equal(budget.take(second.request, 100), 'admitted');
      assert.equal(budget.take(second.request, 1), 'client-share');
      assert.equal(budget.heldBy('10.0.0.1'), 400, "the refused body's bytes are given back");
      assert.equal(budget.take(request('10.0.0.2').request, 500), 'admitted');
      second.finish();
      first.finish();
      assert.equal(budget.heldBy('10.0.0.1'), 0);
    });

    it('should count the addresses of one IPv6 /64 as one client', () => {
      const budget = shared();
      assert.equal(budget.admit(request('2001:db8:1:2::1').request, 400), 'admitted');
      assert.equal(budget.admit(request('2001:db8:1:2::ffff').request, 200), 'client-share');
      assert.equal(budget.admit(request('2001:db8:1:3::1').request, 200), 'admitted');
    });

    it('should tell apart the keys used from one address when API_KEYS is on', () => {
      const budget = budgetOf({
        MAX_UPLOAD_BYTES: 100,
        MAX_INFLIGHT_UPLOAD_BYTES: 1000,
        MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT: 500,
        API_KEYS: 'first-key-0123456789,second-key-0123456789',
      });
      const proxy = '10.0.0.1';
      const first = { 'x-api-key': 'first-key-0123456789' };
      const second = { authorization: 'Bearer second-key-0123456789' };
      assert.equal(budget.admit(request(proxy, first).request, 400), 'admitted');
      assert.equal(budget.admit(request(proxy, first).request, 200), 'client-share');
      assert.equal(budget.admit(request(proxy, second).request, 400), 'admitted');
    });
  });
});

describe('uploadClientOf', () => {
  it('should name a client by its address, with a digest of its key where keys are on', () => {
    const { request: keyed } = request('192.0.2.7', { 'x-api-key': 'secret-key-0123456789' });
    assert.equal(uploadClientOf(keyed, false), '192.0.2.7');
    const name = uploadClientOf(keyed, true);
    assert.match(name, /^192\.0\.2\.7 key:[\w-]{22}$/);
    assert.ok(!name.includes('secret'), 'the key itself is not kept');
  });
});
