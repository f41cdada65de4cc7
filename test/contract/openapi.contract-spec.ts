import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../src/common/project-root.js';
import { generateOpenApiDocument, serialiseOpenApiDocument } from '../../src/openapi.js';

describe('the committed OpenAPI document', () => {
  it('should match what the controllers and DTOs generate (run `npm run openapi` after a change)', async () => {
    const committed = readFileSync(join(projectRoot(), 'openapi.json'), 'utf8');
    const generated = serialiseOpenApiDocument(await generateOpenApiDocument());
    assert.equal(generated, committed);
  });

  it("should carry package.json's version and describe the bearer token as a plain API key", async () => {
    const { version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as {
      version: string;
    };
    const document = await generateOpenApiDocument();
    assert.equal(document.info.version, version);
    assert.deepEqual(document.components?.securitySchemes?.bearer, {
      type: 'http',
      scheme: 'bearer',
      description:
        'A key of API_KEYS (every scope) or the secret of a scoped key made with POST /keys, as ' +
        'Authorization: Bearer <key>',
    });
  });

  it('should document every status code of the contract', async () => {
    const { paths } = await generateOpenApiDocument();
    const codes = (path: string, method: 'get' | 'post' | 'put' | 'delete') =>
      Object.keys(paths[path][method]?.responses ?? {}).sort();
    // A route in a collection also answers 403 (a key bound to another) and 404 (none of that name).
    const inCollection = (own: string[]) => [...new Set([...own, '403', '404'])].sort();
    assert.deepEqual(
      codes('/upload_reference', 'post'),
      inCollection(['200', '400', '401', '409', '413', '422', '429', '500', '503', '507']),
    );
    // A photo judged against what is stored: also 404 (nothing under that name), 409 (another model).
    const storedRoute = ['200', '400', '401', '404', '409', '413', '422', '429', '500', '503'];
    assert.deepEqual(codes('/compare_with_reference', 'post'), inCollection(storedRoute));
    assert.deepEqual(
      codes('/list_references', 'get'),
      inCollection(['200', '400', '401', '429', '500']),
    );
    assert.deepEqual(codes('/subjects', 'get'), inCollection(['200', '401', '429', '500']));
    const photoRoute = ['200', '400', '401', '413', '422', '429', '500', '503'];
    assert.deepEqual(codes('/identify', 'post'), inCollection(photoRoute));
    assert.deepEqual(codes('/verify', 'post'), inCollection(photoRoute));
    assert.deepEqual(codes('/subjects/{subject}/verify', 'post'), inCollection(storedRoute));
    // Reads of a face: also 503 when the audit trail cannot record them.
    const faceRead = ['200', '400', '401', '404', '429', '500', '503'];
    assert.deepEqual(codes('/references/{key}', 'get'), inCollection(faceRead));
    assert.deepEqual(codes('/references/{key}/image', 'get'), inCollection(faceRead));
    assert.deepEqual(
      codes('/delete_reference/{key}', 'delete'),
      inCollection(['200', '400', '401', '404', '409', '422', '429', '500', '507']),
    );
    assert.deepEqual(codes('/subjects/{subject}', 'get'), inCollection(faceRead));
    // The writes also take an Idempotency-Key: 409 while its first request runs, 422 reused.
    const personWrite = ['200', '400', '401', '404', '409', '422', '429', '500', '507'];
    assert.deepEqual(codes('/subjects/{subject}', 'put'), inCollection(personWrite));
    assert.deepEqual(codes('/subjects/{subject}', 'delete'), inCollection(personWrite));
    assert.deepEqual(codes('/audit', 'get'), ['200', '400', '401', '403', '429', '500']);
    // The collections themselves: admin routes across collections, no X-Collection.
    assert.deepEqual(codes('/collections', 'post'), [
      '201',
      '400',
      '401',
      '403',
      '409',
      '429',
      '500',
      '507',
    ]);
    assert.deepEqual(codes('/collections', 'get'), ['200', '401', '403', '429', '500']);
    assert.deepEqual(codes('/collections/{collection}', 'delete'), [
      '200',
      '400',
      '401',
      '403',
      '404',
      '409',
      '429',
      '500',
      '507',
    ]);
    // Keys: 409 when API_KEYS is unset and nothing would check them.
    const keyWrite = ['400', '401', '403', '409', '429', '500', '507'];
    assert.deepEqual(codes('/keys', 'post'), ['201', ...keyWrite].sort());
    assert.deepEqual(codes('/keys', 'get'), ['200', '401', '403', '409', '429', '500']);
    assert.deepEqual(codes('/keys/{id}', 'delete'), [
      '200',
      '401',
      '403',
      '404',
      '409',
      '429',
      '500',
      '507',
    ]);
  });

  it('should name the scope of every protected operation, and describe it', async () => {
    const { paths } = await generateOpenApiDocument();
    const operations = Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, Record<string, unknown>>).map(
        ([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation }),
      ),
    );
    const protectedOnes = operations.filter(({ operation }) => operation.security);
    assert.ok(protectedOnes.length >= 17, `only ${protectedOnes.length} protected operations`);
    for (const { route, operation } of protectedOnes) {
      const scope = operation['x-required-scope'];
      assert.equal(typeof scope, 'string', `${route} names no scope`);
      assert.match(
        String(operation.description),
        new RegExp(`Needs a key with the scope \`${String(scope)}\``),
        route,
      );
    }
    const scopeOf = (route: string) =>
      protectedOnes.find((operation) => operation.route === route)?.operation['x-required-scope'];
    assert.equal(scopeOf('POST /compare_with_reference'), 'verify');
    assert.equal(scopeOf('GET /references/{key}/image'), 'images');
    assert.equal(scopeOf('POST /keys'), 'admin');
    assert.equal(scopeOf('POST /collections'), 'admin');
  });
});
