import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './env';

/**
 * Development-only secrets, generated on first start into a git-ignored folder. Several
 * processes start at once, so the file is written aside and linked into place: the first
 * link wins and everyone reads the winner's value.
 */
export function devSecret(dir: string, name: string, generate: () => string): string {
  const path = join(dir, name);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(temp, generate(), { mode: 0o600 });
    try {
      linkSync(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temp);
    }
    return readFileSync(path, 'utf8').trim();
  }
}

/** Router → subgraph signing secrets: from env in production, generated in development. */
export function resolveSigningSecrets(env: { NODE_ENV: string; ROUTER_SIGNING_SECRETS: string[]; SECRETS_DIR: string }): string[] {
  if (env.ROUTER_SIGNING_SECRETS.length > 0) {
    const short = env.ROUTER_SIGNING_SECRETS.find((secret) => secret.length < 32);
    if (short !== undefined) throw new ConfigError(['ROUTER_SIGNING_SECRETS: each secret must be at least 32 characters']);
    return env.ROUTER_SIGNING_SECRETS;
  }
  if (env.NODE_ENV === 'production') {
    throw new ConfigError(['ROUTER_SIGNING_SECRETS: required in production (comma-separated, newest first)']);
  }
  return [devSecret(env.SECRETS_DIR, 'router-signing-secret', () => randomBytes(32).toString('base64url'))];
}
