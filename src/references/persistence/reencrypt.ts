// `npm run reencrypt`: seals every stored image with the current ENCRYPTION_KEY, after a key
// rotation or when encryption is turned on for a store that already holds plaintext images.
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { DataSource, MoreThan } from 'typeorm';
import { describeCause } from '../../common/errors.js';
import { validateEnvironment } from '../../config/environment.js';
import { dataSourceOptions } from '../../database/data-source-options.js';
import { envelopeKeyId, ImageCipher } from './image-cipher.js';
import { ReferenceImageEntity } from './reference-image.entity.js';

export interface ReencryptCounts {
  /** Rows looked at. */
  scanned: number;
  /** Sealed with a previous key, now with the current one. */
  rotated: number;
  /** Plaintext, now sealed. */
  encrypted: number;
  /** Already sealed with the current key: left alone. */
  current: number;
  /** Could not be opened (key not configured, or corrupt): left alone. */
  failed: number;
}

/**
 * Rewrites every image row with the current key, `batchSize` ids at a time, each row in a
 * transaction of its own (locked on MySQL while it is rewritten). Running it twice changes nothing
 * the second time; uploads and deletes may go on meanwhile.
 */
export async function reencryptImages(
  dataSource: DataSource,
  cipher: ImageCipher,
  { batchSize = 100, log = () => {} }: { batchSize?: number; log?: (line: string) => void } = {},
): Promise<ReencryptCounts> {
  const counts: ReencryptCounts = { scanned: 0, rotated: 0, encrypted: 0, current: 0, failed: 0 };
  const lock = dataSource.options.type === 'mysql';
  let after = 0;
  for (;;) {
    const batch = await dataSource.getRepository(ReferenceImageEntity).find({
      select: { referenceId: true },
      where: { referenceId: MoreThan(after) },
      order: { referenceId: 'ASC' },
      take: batchSize,
    });
    if (batch.length === 0) break;
    for (const { referenceId } of batch) {
      const outcome = await dataSource.transaction(async (manager) => {
        const query = manager
          .getRepository(ReferenceImageEntity)
          .createQueryBuilder('image')
          .select(['image.referenceId', 'image.bytes'])
          .where('image.referenceId = :referenceId', { referenceId });
        const row = await (lock ? query.setLock('pessimistic_write') : query).getOne();
        if (!row) return null; // deleted meanwhile
        if (cipher.isCurrent(row.bytes)) return 'current' as const;
        const wasSealed = envelopeKeyId(row.bytes) !== null;
        let plain: Buffer;
        try {
          plain = cipher.open(row.bytes);
        } catch (error) {
          log(`reference image ${referenceId}: ${describeCause(error)}; left as it is`);
          return 'failed' as const;
        }
        await manager
          .getRepository(ReferenceImageEntity)
          .update({ referenceId }, { bytes: cipher.seal(plain) });
        return wasSealed ? ('rotated' as const) : ('encrypted' as const);
      });
      if (outcome === null) continue;
      counts.scanned++;
      counts[outcome]++;
    }
    after = batch[batch.length - 1].referenceId;
    log(`${counts.scanned} images so far`);
  }
  return counts;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = validateEnvironment(process.env);
  if (!env.ENCRYPTION_KEY) {
    console.error('ENCRYPTION_KEY is not set: there is no key to seal the images with.');
    process.exit(1);
  }
  const cipher = ImageCipher.fromSettings(env.ENCRYPTION_KEY, env.ENCRYPTION_PREVIOUS_KEYS);
  const batchArgument = process.argv.indexOf('--batch-size');
  const batchSize = batchArgument > 0 ? Number(process.argv[batchArgument + 1]) : 100;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    console.error('--batch-size takes a positive whole number');
    process.exit(1);
  }
  const dataSource = new DataSource({ ...dataSourceOptions(env), migrationsRun: false });
  await dataSource.initialize();
  try {
    console.log(`Sealing every stored image with key id ${cipher.currentKeyId}`);
    const counts = await reencryptImages(dataSource, cipher, { batchSize, log: console.log });
    console.log(
      `Done: ${counts.scanned} images, ${counts.rotated} re-sealed from a previous key, ` +
        `${counts.encrypted} plaintext sealed, ${counts.current} already current, ` +
        `${counts.failed} failed`,
    );
    process.exitCode = counts.failed > 0 ? 1 : 0;
  } finally {
    await dataSource.destroy();
  }
}
