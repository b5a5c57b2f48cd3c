import { resolve } from 'node:path';

/** The monorepo root: this file is src/paths.ts (tests) or dist/paths.js (built). */
export const REPO_ROOT = resolve(__dirname, '..', '..');

export const SCHEMA_DIR = resolve(REPO_ROOT, 'schema');
