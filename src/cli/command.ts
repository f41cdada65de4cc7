import type { Type } from '@nestjs/common';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ModuleImport } from './context.js';

/** A command's work, in a class the container builds with its collaborators injected. */
export interface CommandRunner<Options> {
  /** The process's exit code. */
  run(options: Options): Promise<number>;
}

/** A subcommand of `npm run cli`. */
export interface Command<Options> {
  /** Its name and arguments, and what it does, for `npm run cli -- help`. */
  synopsis: string;
  summary: string;
  /**
   * Reads the arguments before anything starts, so that a mistyped option costs neither a
   * database connection nor loading the models; throws UsageError.
   */
  parse(args: string[]): Options;
  /** The service's modules the runner's collaborators come from. */
  imports: ModuleImport[];
  /** Instead of `imports`, where the modules depend on the options. */
  importsFor?(options: Options): ModuleImport[];
  /** Settings that differ from the service's for this command. */
  env?: Record<string, string>;
  runner: Type<CommandRunner<Options>>;
  /** Its output is on stdout (JSON lines to pipe on): the log goes to stderr. */
  writesStdout?: boolean;
}

export class UsageError extends Error {}

/**
 * The exit code of a command that could not do its work at all: its arguments wrong, or what it
 * works on (the database, a service) out of reach. 1 stays for work done with some failures.
 */
export const EXIT_UNAVAILABLE = 2;

/** `parseArgs`, with its errors as UsageError. */
export function parseOptions<T extends ParseArgsConfig>(args: string[], config: T) {
  try {
    return parseArgs({ ...config, args });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function positiveInteger(option: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new UsageError(`--${option} takes a positive whole number`);
  }
  return number;
}
