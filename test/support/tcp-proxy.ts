import type { INestApplication } from '@nestjs/common';
import type { App } from 'supertest/types.js';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { startApp, type EnvOverrides } from './app.js';
import { createTestDatabase } from './database.js';

/**
 * A TCP forwarder to the database that a test can cut and restore, to play a database that goes
 * away and comes back without touching the real server other specs use.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** Refuses new connections and drops the open ones, as a database that went down would. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async restore(): Promise<void> {
    await this.start(this.port);
  }
}

export interface AppBehindProxy {
  app: INestApplication;
  server: App;
  /** Between the service and its database: cut it to play a database that went away. */
  proxy: TcpProxy;
  /** Closes the app, the proxy and drops the database. */
  close(): Promise<void>;
}

/** The real app on a fresh test database that it reaches through a TcpProxy. */
export async function startAppBehindProxy(overrides: EnvOverrides = {}): Promise<AppBehindProxy> {
  const database = await createTestDatabase();
  const url = new URL(database.url);
  const proxy = new TcpProxy(url.hostname, Number(url.port || 3306));
  url.port = String(await proxy.start());
  try {
    const app = await startApp({ DATABASE_URL: url.toString(), ...overrides });
    return {
      app,
      server: app.getHttpServer() as App,
      proxy,
      async close() {
        await app.close();
        await proxy.cut();
        await database.drop();
      },
    };
  } catch (error) {
    await proxy.cut();
    await database.drop();
    throw error;
  }
}
