// `npm run cli -- <command>`: the service's maintenance commands, each run in the service's own
// container (see cli/context.ts) with its collaborators injected.
import 'reflect-metadata';
import { auditCommand } from './cli/audit.command.js';
import type { Command } from './cli/command.js';
import { EXIT_UNAVAILABLE, UsageError } from './cli/command.js';
import { createServiceContext } from './cli/context.js';
import { enrolCommand } from './cli/enrol.command.js';
import { keysCommand } from './cli/keys.command.js';
import { migrateCommand } from './cli/migrate.command.js';
import { onnxModelsCommand } from './cli/onnx-models.command.js';
import { openApiCommand } from './cli/openapi.command.js';
import { reembedCommand } from './cli/reembed.command.js';
import { reencryptCommand } from './cli/reencrypt.command.js';
import { InvalidEnvironmentError, loadEnvFile } from './config/environment.js';

const COMMANDS = new Map<string, Command<unknown>>([
  ['migrate', migrateCommand],
  ['reembed', reembedCommand],
  ['reencrypt', reencryptCommand],
  ['openapi', openApiCommand],
  ['onnx-models', onnxModelsCommand],
  ['enrol', enrolCommand],
  ['audit', auditCommand],
  ['keys', keysCommand],
]);

function usage(): string {
  const width = Math.max(...[...COMMANDS.values()].map(({ synopsis }) => synopsis.length));
  const lines = [...COMMANDS.values()].map(
    ({ synopsis, summary }) => `  ${synopsis.padEnd(width)}  ${summary}`,
  );
  return `Usage: npm run cli -- <command> [options]\n\nCommands:\n${lines.join('\n')}`;
}

async function run(name: string | undefined, args: string[]): Promise<number> {
  const command = name === undefined ? undefined : COMMANDS.get(name);
  if (!command) {
    const help = name === undefined || name === 'help' || name === '--help';
    (help ? console.log : console.error)(help ? usage() : `Unknown command ${name}\n\n${usage()}`);
    return help ? 0 : EXIT_UNAVAILABLE;
  }
  let options: unknown;
  try {
    options = command.parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\nUsage: npm run cli -- ${command.synopsis}`);
    return EXIT_UNAVAILABLE;
  }
  const imports = command.importsFor?.(options) ?? command.imports;
  let context: Awaited<ReturnType<typeof createServiceContext>>;
  try {
    context = await createServiceContext(imports, {
      env: command.env,
      providers: [command.runner],
      logToStderr: command.writesStdout,
    });
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) throw error;
    // The database out of reach, the models missing: nothing was done.
    console.error(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_UNAVAILABLE;
  }
  try {
    return await context.get(command.runner).run(options);
  } finally {
    await context.close();
  }
}

const [name, ...args] = process.argv.slice(2);
loadEnvFile();
run(name, args).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof InvalidEnvironmentError) console.error(error.message);
    else console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
