import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Use explicit named exports (docs/architecture.md).' }],
    },
  },
  {
    // The console's one script runs in the browser.
    files: ['src/console/static/**/*.js'],
    languageOptions: { globals: { document: 'readonly', window: 'readonly', HTMLElement: 'readonly', HTMLFormElement: 'readonly', HTMLInputElement: 'readonly', HTMLTextAreaElement: 'readonly', HTMLAnchorElement: 'readonly' } },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/core/**/*.ts', 'src/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          {
            group: ['express', 'scimmy', 'pg', 'better-sqlite3', 'pino', 'undici', '**/scim/**', '**/http/**', '**/adapters/**', '**/sandbox/**', '**/observability/**', '**/console/**'],
            message: 'core/ and ports/ depend on nothing outer (docs/architecture.md).',
          },
        ],
      }],
    },
  },
  {
    files: ['src/http/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/scim/**', '**/console/**'], message: 'http/ knows no SCIM and no console: they build on it (docs/architecture.md).' }],
      }],
    },
  },
  {
    files: ['src/scim/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['pg', 'better-sqlite3', '**/adapters/**', '**/sandbox/**'], message: 'scim/ reaches storage and Dynatrace only through core/ (docs/architecture.md).' },
          { group: ['**/http/*', '!**/http/index.js'], message: 'scim/ uses http/ through its public entry, http/index.js (docs/architecture.md).' },
        ],
      }],
    },
  },
);
