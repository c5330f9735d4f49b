#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx shoplens` works right after `npm install`
// with no separate build step that could go stale.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
