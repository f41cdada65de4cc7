// `npm run reembed`: computes the embedding of every stored reference again from its stored photo,
// with the models and pipeline this build uses. After an upgrade that changes the pipeline, the
// references enrolled before it answer 409 to compare (their distances would mean nothing) until
// they are re-embedded; the photos are in the store, so nobody has to upload them again.
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DataSource, MoreThan } from 'typeorm';
import { describeCause } from '../common/errors.js';
import { appConfigFrom } from '../config/app-config.js';
import { validateEnvironment } from '../config/environment.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { FaceEngine } from '../face-engine/face-engine.service.js';
import { ImageCipher } from './persistence/image-cipher.js';
import { ReferenceEntity } from './persistence/reference.entity.js';
import { CommittedChanges } from './persistence/committed-changes.js';
import { TypeOrmReferenceStore } from './persistence/typeorm-reference.store.js';

export interface ReembedCounts {
  /** References looked at. */
  scanned: number;
  /** Given a new embedding. */
  reembedded: number;
  /** Already made by this model and pipeline: left alone (unless `all`). */
  current: number;
  /** Photo unreadable, or not exactly one face found in it now: left as it is. */
  failed: number;
}

export interface ReembedOptions {
  /** Also the references this model already made (after changing FACE_DETECTOR_SIZE). */
  all?: boolean;
  batchSize?: number;
  log?: (line: string) => void;
}

type Outcome = Exclude<keyof ReembedCounts, 'scanned'> | 'gone';

/**
 * Re-embeds references `batchSize` ids at a time, as many at once as the engine has workers. Each
 * reference is rewritten in a transaction of its own, with an entry in the change log so every
 * replica's identification index picks the new embedding up; a reference deleted or re-embedded
 * meanwhile is left alone. Running it twice changes nothing the second time.
 */
export async function reembedReferences(
  dataSource: DataSource,
  cipher: ImageCipher,
  engine: FaceEngine,
  { all = false, batchSize = 50, log = () => {} }: ReembedOptions = {},
): Promise<ReembedCounts> {
  const counts: ReembedCounts = { scanned: 0, reembedded: 0, current: 0, failed: 0 };
  const references = dataSource.getRepository(ReferenceEntity);
  const store = new TypeOrmReferenceStore(
    dataSource,
    cipher,
    new CommittedChanges(),
    appConfigFrom(validateEnvironment(process.env)),
  );
  const reembed = async ({ key, model }: ReferenceEntity): Promise<Outcome> => {
    if (!all && model === engine.model) return 'current';
    let faces;
    try {
      const image = await store.readImage(key);
      if (!image) return 'gone';
      ({ faces } = await engine.analyze(image.bytes));
    } catch (error) {
      log(`reference ${key}: ${describeCause(error)}; left as it is`);
      return 'failed';
    }
    if (faces.length !== 1) {
      log(`reference ${key}: ${faces.length} faces found in its photo now; left as it is`);
      return 'failed';
    }
    // Only if unchanged since it was read: not deleted, not re-embedded by another run.
    const [{ embedding, box }] = faces;
    const replaced = await store.replaceEmbedding(key, model, {
      embedding,
      box,
      model: engine.model,
    });
    return replaced ? 'reembedded' : 'gone';
  };

  let after = 0;
  for (;;) {
    const batch = await references.find({
      select: { id: true, key: true, model: true },
      where: { id: MoreThan(after) },
      order: { id: 'ASC' },
      take: batchSize,
    });
    if (batch.length === 0) break;
    const queue = [...batch];
    const next = async (): Promise<void> => {
      for (let reference = queue.shift(); reference; reference = queue.shift()) {
        const outcome = await reembed(reference);
        if (outcome === 'gone') continue;
        counts.scanned++;
        counts[outcome]++;
      }
    };
    await Promise.all(Array.from({ length: engine.workers }, next));
    after = batch[batch.length - 1].id;
    log(`${counts.scanned} references so far`);
  }
  return counts;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values: args } = parseArgs({
    options: {
      all: { type: 'boolean', default: false },
      'batch-size': { type: 'string', default: '50' },
    },
  });
  const batchSize = Number(args['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    console.error('--batch-size takes a positive whole number');
    process.exit(1);
  }
  const env = validateEnvironment(process.env);
  const cipher = ImageCipher.fromSettings(env.ENCRYPTION_KEY, env.ENCRYPTION_PREVIOUS_KEYS);
  const dataSource = new DataSource({ ...dataSourceOptions(env), migrationsRun: false });
  await dataSource.initialize();
  const engine = new FaceEngine(appConfigFrom(env));
  try {
    await engine.onModuleInit();
    console.log(
      `Re-embedding ${args.all ? 'every reference' : 'references of other models'} with ${engine.model}`,
    );
    const counts = await reembedReferences(dataSource, cipher, engine, {
      all: args.all,
      batchSize,
      log: console.log,
    });
    console.log(
      `Done: ${counts.scanned} references, ${counts.reembedded} re-embedded, ` +
        `${counts.current} already current, ${counts.failed} left as they were`,
    );
    process.exitCode = counts.failed > 0 ? 1 : 0;
  } finally {
    await engine.onModuleDestroy();
    await dataSource.destroy();
  }
}
