import type { EnvironmentVariables } from './environment.js';

/** The validated configuration, injected wherever settings are needed. */
export abstract class AppConfig {
  abstract readonly env: Readonly<EnvironmentVariables>;
}

export function appConfigFrom(env: EnvironmentVariables): AppConfig {
  return { env: Object.freeze(env) };
}
