import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // Plain JavaScript that runs before the install, on whatever Node runs npm (release-notes.js: on the runner's
  // own Node, in the Release workflow).
  {
    files: ['eslint.config.js', 'scripts/check-node.js', 'scripts/release-notes.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
