import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Only face-engine/ imports its pipeline: the rest of the code uses the engine's ports. */
const PRIVATE_PIPELINE = {
  regex: 'face-engine/pipeline/',
  message: 'Use the ports in src/face-engine (FaceAnalyser, EngineStatus, face-selection).',
};

/**
 * The store's TypeORM adapter is the store's own: features use its public files in src/store/
 * (the ports, ReferenceStoreModule, transactions, the dialect). Other TypeORM adapters (a
 * feature's persistence/ or typeorm-*.ts) and the data source's entity list may reach in.
 */
const PRIVATE_STORE_ADAPTER = {
  regex: 'store/typeorm/',
  message: "Use the store's public files in src/store/ (its ports and ReferenceStoreModule).",
};

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'coverage/', 'scratch/', 'node_modules/', 'models/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The engine's ports (face-analyser.ts, engine-status.ts, face-selection.ts) are its public
    // face; the pipeline is how the worker pool implements them. tools/ may reach into it (the
    // bench times the nets themselves).
    files: ['src/**/*.ts', 'test/**/*.ts'],
    ignores: ['src/face-engine/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [PRIVATE_PIPELINE],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: [
      'src/face-engine/**',
      'src/store/**',
      'src/database/**',
      'src/**/persistence/**',
      'src/**/typeorm-*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [PRIVATE_PIPELINE, PRIVATE_STORE_ADAPTER],
        },
      ],
    },
  },
  {
    // Tests use the product and their own support code; tools/ are not a test library.
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            PRIVATE_PIPELINE,
            {
              regex: '^(\\.\\./)+tools/',
              message: 'Move what the test needs from tools/ into test/support/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
  {
    files: ['test/**/*.ts', 'src/**/*.spec.ts', 'src/**/*.model-spec.ts', 'tools/**/*.spec.ts'],
    rules: {
      // node:test's describe/it return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
    },
  },
  prettier,
);
