import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { projectRoot } from '../src/common/project-root.js';
import { EngineStatus } from '../src/face-engine/engine-status.js';
import { onnxRuntimeInstalled } from '../src/face-engine/onnx/prepare-onnx-models.js';
import { fixture, startApp } from './support/app.js';
import { startNodeOptions } from './support/start-options.js';
import { startServiceProcess } from './support/service-process.js';

function copyOfModels(): string {
  const source = join(projectRoot(), 'models');
  const copy = mkdtempSync(join(tmpdir(), 'facegate-models-'));
  for (const name of readdirSync(source)) copyFileSync(join(source, name), join(copy, name));
  return copy;
}

describe('start-up checks', () => {
  it('should refuse to start when a model file was altered', async () => {
    const models = copyOfModels();
    try {
      writeFileSync(join(models, 'face_recognition_model.bin'), 'tampered');
      await assert.rejects(startApp({ MODELS_DIR: models }), (error: Error) => {
        assert.match(
          error.message,
          /face_recognition_model\.bin has sha256 [0-9a-f]{64}, expected/,
        );
        assert.match(error.message, /npm run models/);
        return true;
      });
    } finally {
      rmSync(models, { recursive: true, force: true });
    }
  });

  it('should refuse to start when a model file is missing', async () => {
    const models = copyOfModels();
    try {
      rmSync(join(models, 'ssd_mobilenetv1_model.bin'));
      await assert.rejects(
        startApp({ MODELS_DIR: models }),
        /ssd_mobilenetv1_model\.bin is missing/,
      );
    } finally {
      rmSync(models, { recursive: true, force: true });
    }
  });

  it('should exit 1 naming the variable when the configuration is invalid', () => {
    const main = join(projectRoot(), 'build', 'src', 'main.js');
    const run = spawnSync(process.execPath, [main], {
      env: { ...process.env, PORT: 'eighty', FACE_BACKEND: 'gpu' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /PORT="eighty"/);
    assert.match(run.stderr, /FACE_BACKEND="gpu"/);
  });
});

describe('the .env file', () => {
  it('should configure the service from .env in its folder, with the environment winning', async () => {
    const service = await startServiceProcess(
      { API_KEYS: 'key-from-the-environment', FACE_WORKERS: '1' },
      {
        dotEnv: [
          '# as copied from .env.example and edited',
          'API_KEYS=key-from-the-dotenv-file',
          'CORS_ORIGINS=http://from-dotenv.example',
          '',
        ].join('\n'),
      },
    );
    try {
      const list = (key: string) =>
        fetch(`${service.base}/list_references`, {
          headers: { 'X-API-Key': key, Origin: 'http://from-dotenv.example' },
        });
      const withEnvironmentKey = await list('key-from-the-environment');
      assert.equal(withEnvironmentKey.status, 200);
      assert.equal(
        withEnvironmentKey.headers.get('access-control-allow-origin'),
        'http://from-dotenv.example',
      );
      assert.equal((await list('key-from-the-dotenv-file')).status, 401);
    } finally {
      service.kill('SIGKILL');
    }
  });
});

describe('backend selection', () => {
  it('should run on onnxruntime for FACE_BACKEND=onnx and auto, building its models on the first start', async () => {
    const models = copyOfModels();
    try {
      for (const name of readdirSync(models)) {
        if (name.includes('.onnx') || name.includes('.anchors')) rmSync(join(models, name));
      }
      for (const backend of ['onnx', 'auto']) {
        const app = await startApp({
          FACE_BACKEND: backend,
          FACE_WORKERS: '1',
          MODELS_DIR: models,
        });
        try {
          assert.equal(app.get(EngineStatus).backend, 'onnx', backend);
        } finally {
          await app.close();
        }
      }
      assert.ok(readdirSync(models).some((name) => name.endsWith('.onnx.sha256')));
    } finally {
      rmSync(models, { recursive: true, force: true });
    }
  });

  it('should use tfjs-node for FACE_BACKEND=tensorflow, or refuse to start saying it is missing', async () => {
    let installed = true;
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    } catch {
      installed = false;
    }
    if (installed) {
      const app = await startApp({ FACE_BACKEND: 'tensorflow', FACE_WORKERS: '1' });
      try {
        assert.equal(app.get(EngineStatus).backend, 'tensorflow');
      } finally {
        await app.close();
      }
    } else {
      await assert.rejects(
        startApp({ FACE_BACKEND: 'tensorflow', FACE_WORKERS: '1' }),
        /FACE_BACKEND=tensorflow but @tensorflow\/tfjs-node could not be loaded/,
      );
    }
  });
});

describe('graceful shutdown', () => {
  it('should finish a request in flight on SIGTERM, then exit 0 (started as npm start starts it, on auto)', async () => {
    const service = await startServiceProcess(
      { FACE_BACKEND: 'auto' },
      { nodeOptions: startNodeOptions() },
    );
    try {
      // With npm start's Node.js options, auto picks onnx where it is installed.
      const expected = onnxRuntimeInstalled() ? 'onnx' : 'wasm';
      assert.match(service.stdout(), new RegExp(`Face engine ready: backend=${expected} `));
      const body = new FormData();
      body.append('image', new Blob([fixture('person-a-2.jpg')]), 'a.jpg');
      const inFlight = fetch(`${service.base}/upload_reference`, { method: 'POST', body });
      await new Promise((resolve) => setTimeout(resolve, 150));
      service.kill('SIGTERM');
      const response = await inFlight;
      assert.equal(response.status, 200, await response.text());
      const output = service.stdout() + service.stderr();
      assert.equal(await service.exited, 0, output);
      assert.match(service.stdout(), /SIGTERM received/);
    } finally {
      service.kill('SIGKILL');
    }
  });
});
