// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const LAYERS = {
  'src/db': { group: ['pg', 'pgvector', 'pgvector/*', '@electric-sql/*'], message: 'Database drivers belong in src/db.' },
  'src/ml': { group: ['onnxruntime-node', 'onnxruntime-*'], message: 'ONNX Runtime belongs in src/ml.' },
  'src/bot': { group: ['grammy', '@grammyjs/*'], message: 'grammY belongs in src/bot.' },
};

/** Channels and commands reach the catalog through the assistant core's services, never through repositories. */
const CHANNELS = ['src/bot', 'src/cli', 'src/web', 'src/instagram'];
const NO_DATABASE_LAYER = {
  group: ['**/db/*', '**/db/**'],
  message: 'Channels and commands use the assistant core (src/core); only the core talks to src/db.',
};

/** One no-restricted-imports block per layer, since later blocks replace a rule rather than merge it. */
function layeringRules() {
  const owners = Object.keys(LAYERS);
  const blockFor = (files, ignores, allowed, extra = []) => ({
    files,
    ignores,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [...owners.filter((owner) => owner !== allowed).map((owner) => LAYERS[owner]), ...extra],
      }],
    },
  });
  const channelBlocks = CHANNELS.filter((channel) => !owners.includes(channel))
    .map((channel) => blockFor([`${channel}/**/*.ts`], [], undefined, [NO_DATABASE_LAYER]));
  return [
    blockFor(['src/**/*.ts'], [...owners, ...CHANNELS].map((dir) => `${dir}/**`), undefined),
    ...owners.map((owner) => blockFor([`${owner}/**/*.ts`], [], owner, CHANNELS.includes(owner) ? [NO_DATABASE_LAYER] : [])),
    ...channelBlocks,
  ];
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'models/', 'coverage/', '**/*.d.ts', '.scratch/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  // Plain-JavaScript entry points that run before any TypeScript is loaded (`npm start`, `npx shoplens`).
  { files: ['scripts/**/*.js', 'bin/**/*.js'], languageOptions: { globals: globals.node } },
  // The web pages' modules run in the browser, served as they are (no bundler).
  { files: ['src/web/public/**/*.js'], languageOptions: { globals: globals.browser, sourceType: 'module' } },
  // Layering: only src/db talks to database drivers, only src/ml to ONNX Runtime, only src/bot to grammY,
  // and channels (bot, cli, web) never import src/db.
  ...layeringRules(),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'it', 'describe', 'suite'], package: 'node:test' }] }],
    },
  },
);
