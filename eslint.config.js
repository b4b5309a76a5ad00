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
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Use explicit named exports (architecture.md convention 1).' }],
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
          { group: ['express', 'scimmy', 'pg', 'better-sqlite3', 'pino', '**/scim/**', '**/http/**', '**/adapters/**'], message: 'core/ and ports/ depend on nothing outer (architecture.md).' },
        ],
      }],
    },
  },
);
