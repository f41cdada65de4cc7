import { randomBytes } from 'node:crypto';
import { createConnection, type Connection } from 'mysql2/promise';

const DEFAULT_SERVER = 'mysql://root@127.0.0.1:3306/test';

export interface TestDatabase {
  /** DATABASE_URL of a fresh, empty database for this test file. */
  url: string;
  drop(): Promise<void>;
}

/**
 * Creates a database of its own on the MySQL/MariaDB server named by TEST_DATABASE_URL (default:
 * the local MariaDB), so test files never see each other's rows. Fails loudly, never skips, when
 * no server answers.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = new URL(process.env.TEST_DATABASE_URL ?? DEFAULT_SERVER);
  let admin: Connection;
  try {
    admin = await createConnection({
      host: server.hostname,
      port: Number(server.port || 3306),
      user: decodeURIComponent(server.username),
      password: decodeURIComponent(server.password),
      connectTimeout: 5000,
    });
  } catch (error) {
    throw new Error(
      `No MySQL/MariaDB server answers at ${server.hostname}:${server.port || 3306} ` +
        `(${String(error)}). Start one (on this machine: ` +
        '`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`) or point ' +
        'TEST_DATABASE_URL at one, e.g. mysql://root:secret@127.0.0.1:3306/test.',
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
