import { randomBytes } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import { connectToServer, DEFAULT_TEST_SERVER } from './private-database.js';

export interface TestDatabase {
  /** DATABASE_URL of a fresh, empty database for this test file. */
  url: string;
  drop(): Promise<void>;
}

/**
 * Creates a database of its own on the MySQL/MariaDB server named by TEST_DATABASE_URL, so test
 * files never see each other's rows. `npm run test:e2e` sets it (to a private server if need be);
 * a spec run on its own uses the local server. Fails loudly, never skips, when none answers.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = new URL(process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_SERVER);
  let admin: Connection;
  try {
    admin = await connectToServer(server.toString());
  } catch (error) {
    throw new Error(
      `No MySQL/MariaDB server answers at ${server.hostname}:${server.port || 3306} ` +
        `(${String(error)}). Run the specs through \`npm run test:e2e -- <files>\`, which starts ` +
        'a private server when none answers, or point TEST_DATABASE_URL at one.',
    );
  }
  const name = `facegate_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}
