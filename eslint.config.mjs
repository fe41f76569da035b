// Strict, type-aware linting; zero warnings allowed in CI (npm run lint).
import tseslint from 'typescript-eslint';

/**
 * The wall between feature modules (DESIGN §11): a module reaches another only through its face
 * (exported services, event definitions, DTO types), never through its repositories or tables, so any
 * module could move into its own process. Schema files (`*.tables.ts`) may import other schema files:
 * foreign keys between control tables are the one kind of reference that crosses.
 */
const otherModulesData = ['repository', 'tables', 'tenant-tables'].flatMap((kind) => [
  `../*/*.${kind}.js`,
  `../../modules/*/*.${kind}.js`,
]);
const moduleWall = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'migrations/', 'coverage/', '.ordo/', 'bench/results/'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['src/modules/**/*.ts'],
    rules: moduleWall(
      otherModulesData,
      "Another module's repository or tables: use that module's exported service (its face) instead.",
    ),
  },
  {
    files: ['src/modules/*/*.tables.ts'],
    rules: moduleWall(
      otherModulesData.filter((pattern) => !pattern.endsWith('.tables.js')),
      "A schema file may reference other modules' tables (foreign keys), never their repositories.",
    ),
  },
  {
    files: ['src/common/**/*.ts'],
    rules: moduleWall(
      ['../infra/*/*', '../../infra/*/*', '../modules/*', '../../modules/*'],
      'common holds what every layer shares; it does not reach into infra internals or feature modules.',
    ),
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
