import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { EngineBusyError } from '../common/errors.js';
import { appConfigFrom } from '../config/app-config.js';
import { validateEnvironment } from '../config/environment.js';
import { FakeFaceAnalyser, fakeEmbedding } from '../../test/support/fake-face-analyser.js';
import { MemoryStore } from '../../test/support/memory-reference-store.js';
import { ReembedService } from './reembed.service.js';

const OLD = 'old-model@1+p1';
const NEW = 'new-model@1+p2';

describe('ReembedService', () => {
  let engine: FakeFaceAnalyser;
  let store: MemoryStore;
  let service: ReembedService;
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);

  /** A reference enrolled under `model` from a photo of bytes `photo`. */
  const enrolled = (key: string, model: string, photo = key) =>
    void store.rows.push({
      id: store.nextId++,
      collection: 'default',
      key,
      filename: `${key}.jpg`,
      subject: null,
      contentType: 'image/jpeg',
      image: Buffer.from(photo),
      embedding: new Float32Array(128),
      box: { x: 0, y: 0, width: 1, height: 1 },
      quality: { score: 0.99, interOcular: 40, sharpness: 300, contrast: 40, yaw: 0, roll: 0 },
      model,
    });

  beforeEach(() => {
    lines.length = 0;
    engine = Object.assign(new FakeFaceAnalyser(), { model: NEW });
    store = new MemoryStore();
    service = new ReembedService(store, engine, appConfigFrom(validateEnvironment({})));
  });

  it("should re-embed the references of another model from their stored photos, and leave the current model's alone", async () => {
    enrolled('a', OLD);
    enrolled('b', NEW);
    enrolled('c', OLD);
    const counts = await service.reembed({ log });
    assert.deepEqual(counts, { scanned: 3, reembedded: 2, current: 1, failed: 0 });
    assert.equal(engine.calls, 2, 'the current reference was not analysed');
    const a = store.rows.find((row) => row.key === 'a')!;
    assert.equal(a.model, NEW);
    assert.deepEqual(a.embedding, fakeEmbedding(Buffer.from('a')), "the stored photo's embedding");
  });

  it('should change nothing the second time, and re-embed the current ones too when asked for all', async () => {
    enrolled('a', OLD);
    await service.reembed();
    assert.deepEqual(await service.reembed(), { scanned: 1, reembedded: 0, current: 1, failed: 0 });
    assert.deepEqual(await service.reembed({ all: true }), {
      scanned: 1,
      reembedded: 1,
      current: 0,
      failed: 0,
    });
  });

  it('should walk every batch, whatever its size', async () => {
    for (let n = 0; n < 7; n++) enrolled(`r${n}`, OLD);
    const counts = await service.reembed({ batchSize: 3, log });
    assert.equal(counts.reembedded, 7);
    assert.deepEqual(lines, ['3 references so far', '6 references so far', '7 references so far']);
  });

  it('should leave a reference as it is when its photo now shows no face, or several, or the engine fails', async () => {
    enrolled('a', OLD);
    engine.facesIn = 0;
    assert.equal((await service.reembed({ log })).failed, 1);
    assert.match(lines[0], /^reference a: no one face to enrol found in its photo now/);
    engine.facesIn = 2;
    assert.equal((await service.reembed()).failed, 1, 'two equal faces: no subject');
    engine.reset();
    engine.model = NEW;
    engine.failWith = new EngineBusyError();
    lines.length = 0;
    assert.equal((await service.reembed({ log })).failed, 1);
    assert.match(lines[0], /^reference a: .*; left as it is$/);
    assert.equal(store.rows[0].model, OLD);
  });

  it('should not count a reference deleted while the run was under way', async () => {
    enrolled('a', OLD);
    enrolled('b', OLD);
    const analyze = engine.analyze.bind(engine);
    // Deleted between its listing and its re-embedding, as by a client's DELETE.
    engine.analyze = (image, selection) => {
      store.rows = store.rows.filter((row) => row.key !== 'b');
      return analyze(image, selection);
    };
    assert.deepEqual(await service.reembed(), { scanned: 1, reembedded: 1, current: 0, failed: 0 });
  });
});
