import { jwks, loadSigningKeys, sendJson, type SigningKey } from '@shop/runtime';
import { launchSubgraph, openSubgraphDeps, serveSubgraph, type SubgraphDeps } from '@shop/runtime/subgraph';
import { AuthService } from './auth/auth.service';
import { PasswordHasher } from './auth/password';
import { SessionStore } from './auth/session.store';
import type { UserConfig } from './config';
import { createContext, type ServicesOn } from './context';
import { migrations } from './migrations';
import { buildUserSchema } from './schema';
import { UserCaches } from './user/user.loaders';
import { UserService } from './user/user.service';
import type { UserDatabase } from './user/user.table';

export interface UserApp {
  url: string;
  deps: SubgraphDeps<UserDatabase>;
  keys: SigningKey[];
  stop(): Promise<void>;
}

/** Composition root: config → keys → db, redis, events → schema → server, and shutdown in reverse. */
export async function createUserApp(config: UserConfig): Promise<UserApp> {
  // Keys first: a bad AUTH_JWT_PRIVATE_KEYS stops start-up before any connection is opened.
  const keys = await loadSigningKeys(config);
  const deps = await openSubgraphDeps<UserDatabase>('user', config, migrations);
  const caches = new UserCaches(deps);
  const sessions = new SessionStore(deps.redis, config.AUTH_REFRESH_TOKEN_TTL_SECONDS);
  const passwords = new PasswordHasher(config.AUTH_SCRYPT_COST);
  const tokens = { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, ttlSeconds: config.AUTH_ACCESS_TOKEN_TTL_SECONDS };
  const servicesOn: ServicesOn = (db, traceparent) => ({
    users: new UserService(db, caches.users),
    auth: new AuthService(db, deps.relay, sessions, passwords, keys, tokens, traceparent),
  });
  const publicKeys = jwks(keys);
  const served = await launchSubgraph(deps, async () => {
    deps.relay.start();
    return serveSubgraph({
      deps,
      schema: await buildUserSchema(),
      context: createContext(caches, servicesOn),
      routes: {
        // Short cache: verifiers pick up a newly added key within five minutes.
        '/.well-known/jwks.json': (_req, res) => sendJson(res, 200, publicKeys, { 'cache-control': 'public, max-age=300' }),
      },
    });
  });
  return {
    ...served,
    deps,
    keys,
  };
}
