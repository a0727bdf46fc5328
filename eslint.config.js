// @ts-check
// typescript-eslint's recommended rules, syntax only: the type checker is `tsc --noEmit`, and
// without type information lint stays fast. Run by scripts/test.sh and `npm run lint`.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' },
    },
    rules: {
      // Our regexes name control characters to refuse them in untrusted values (parameters, options, reasons).
      'no-control-regex': 'off',
      // `const { dropped, ...rest } = value` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
);
