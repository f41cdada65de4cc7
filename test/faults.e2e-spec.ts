import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { Piscina } from 'piscina';
import type { AnalysisControl } from '../src/face-engine/analysis-control.js';
import { EngineStatus } from '../src/face-engine/engine-status.js';
import { fixture, startApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

/** An upload request as raw bytes, to be sent over a socket the test can cut at any point. */
function rawUpload(port: number, image: Buffer, name: string): Buffer {
  const boundary = 'facegate-fault-boundary';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${name}"\r\n` +
        'Content-Type: image/jpeg\r\n\r\n',
    ),
    image,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const head =
    `POST /upload_reference HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    `Content-Type: multipart/form-data; boundary=${boundary}\r\n` +
    `Content-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds; fails after `timeoutMs` (a bound on a wait, not on speed). */
async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(10);
  }
}

describe('faults around an upload, on MariaDB with one worker', () => {
  let database: TestDatabase;
  let sql: Connection;
  let app: INestApplication;
  let engine: EngineStatus;
  let base: string;
  let port: number;

  const threads = (): Worker[] => (engine as unknown as { pool: Piscina }).pool.threads;
  const upload = async (name: string): Promise<{ status: number; body: unknown }> => {
    const body = new FormData();
    body.append('image', new Blob([fixture(name)]), name);
    const response = await fetch(`${base}/upload_reference`, { method: 'POST', body });
    return { status: response.status, body: await response.json() };
  };
  /**
   * Runs `callback` as the next analysis is handed to the worker, with its control: a test that
   * acts then cannot be outrun by the analysis (a photo takes about 70 ms on onnx).
   */
  const onNextAnalysis = (callback: (control: AnalysisControl) => void) => {
    const { running } = (engine as unknown as { admission: { running: Set<AnalysisControl> } })
      .admission;
    running.add = (control) => {
      delete (running as Partial<Set<AnalysisControl>>).add;
      callback(control);
      return running.add(control);
    };
  };
  /** Rows in both tables, and image rows whose reference is gone. */
  const stored = async (): Promise<{ references: number; images: number; orphans: number }> => {
    const [[row]] = await sql.query<RowDataPacket[]>(
      `SELECT (SELECT COUNT(*) FROM face_references) AS refs,
              (SELECT COUNT(*) FROM reference_images) AS images,
              (SELECT COUNT(*) FROM reference_images i
                 LEFT JOIN face_references r ON r.id = i.reference_id WHERE r.id IS NULL) AS orphans`,
    );
    return {
      references: Number(row.refs),
      images: Number(row.images),
      orphans: Number(row.orphans),
    };
  };

  /** Exactly one reference was stored since `before` (the successful upload), and no orphan. */
  const assertOnlyOneMoreStored = async (before: Awaited<ReturnType<typeof stored>>) => {
    assert.deepEqual(await stored(), {
      references: before.references + 1,
      images: before.images + 1,
      orphans: 0,
    });
  };

  before(async () => {
    database = await createTestDatabase();
    sql = await createConnection({ uri: database.url });
    app = await startApp({ DATABASE_URL: database.url, FACE_WORKERS: '1' });
    await app.listen(0, '127.0.0.1');
    port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    engine = app.get(EngineStatus);
  });

  after(async () => {
    await sql?.end();
    await app?.close();
    await database?.drop();
  });

  it('should answer 503 when the worker thread dies mid-analysis, store nothing, and serve the next upload on a new thread', async () => {
    const before = await stored();
    const [victim] = threads();
    // As the engine does before it terminates a thread: on onnx, a thread terminated inside a net
    // takes the process down, so the analysis is first stopped outside the nets. Stopped as it
    // is handed to the worker, it cannot finish first (waiting a fixed time could outlast it: a
    // photo takes about 70 ms on onnx).
    let stopped: Promise<void> | undefined;
    onNextAnalysis((control) => {
      stopped = control.stop();
    });
    const inFlight = upload('person-a-1.jpg');
    await until(() => stopped !== undefined, 'the upload to reach the engine');
    await stopped;
    await victim.terminate();
    const failed = await inFlight;
    assert.equal(failed.status, 503, JSON.stringify(failed.body));
    assert.deepEqual(failed.body, { detail: 'Face engine worker failed; try again' });
    assert.deepEqual(await stored(), before, 'nothing stored for the failed upload');

    await until(
      () => threads().length === 1 && threads()[0] !== victim,
      'the pool to start a replacement',
    );
    const next = await upload('person-a-2.jpg');
    assert.equal(next.status, 200, JSON.stringify(next.body));
    await assertOnlyOneMoreStored(before);
  });

  /** Opens a socket, writes `bytes`, and returns it once they are flushed. */
  const send = async (bytes: Buffer) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {}); // the test destroys it
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve).once('error', reject);
    });
    await new Promise<void>((resolve, reject) =>
      socket.write(bytes, (error) => (error ? reject(error) : resolve())),
    );
    return socket;
  };

  it('should store nothing when the client disconnects halfway through sending the upload, and serve the next', async () => {
    const before = await stored();
    const request = rawUpload(port, fixture('person-b-1.jpg'), 'b.jpg');
    const socket = await send(request.subarray(0, Math.floor(request.length / 2)));
    await sleep(200); // the server is now reading the multipart body
    socket.destroy();
    await sleep(200);
    assert.deepEqual(engine.load, { queued: 0, running: 0 }, 'nothing reached the engine');
    const next = await upload('person-b-2.jpg');
    assert.equal(next.status, 200, JSON.stringify(next.body));
    await assertOnlyOneMoreStored(before);
  });

  it('should not store the reference when the client disconnects while its face is analysed', async () => {
    const before = await stored();
    const client: { socket?: Socket; analysing?: boolean } = {};
    onNextAnalysis(() => {
      client.analysing = true;
      client.socket?.destroy();
    });
    client.socket = await send(rawUpload(port, fixture('person-a-1.jpg'), 'a.jpg'));
    await until(() => client.analysing === true, 'the upload to reach the engine');
    client.socket.destroy();
    // On one worker the next upload is analysed only once the abandoned one is done with.
    const next = await upload('person-a-2.jpg');
    assert.equal(next.status, 200, JSON.stringify(next.body));
    await until(() => engine.load.queued + engine.load.running === 0, 'the engine to be idle');
    await assertOnlyOneMoreStored(before);
    const listed = (await (await fetch(`${base}/list_references`)).json()) as {
      references: { filename: string }[];
    };
    assert.ok(!listed.references.some(({ filename }) => filename === 'a.jpg'), 'not listed');
  });
});
