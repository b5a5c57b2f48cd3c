import { exportJWK, generateKeyPair } from 'jose';
import type { TestRun } from '@shop/testing';
import { createUserApp, type UserApp } from '../src/app';
import { parseConfig } from '../src/config';

/** Private EC P-256 JWKs with kids, as AUTH_JWT_PRIVATE_KEYS expects them. */
export async function privateKeys(...kids: string[]): Promise<string> {
  const keys = await Promise.all(
    kids.map(async (kid) => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      return { ...(await exportJWK(privateKey)), kid };
    }),
  );
  return JSON.stringify(keys);
}

export async function startUserApp(run: TestRun, overrides: Record<string, string> = {}): Promise<UserApp> {
  return createUserApp(
    parseConfig(
      run.env('user', {
        AUTH_JWT_PRIVATE_KEYS: await privateKeys('test-key-new', 'test-key-old'),
        AUTH_SCRYPT_COST: '1024',
        ...overrides,
      }),
    ),
  );
}

export const USER_FIELDS = 'id email name role createdAt';

export const SIGN_UP = `mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { accessToken refreshToken expiresAt user { ${USER_FIELDS} } }
}`;

export const LOG_IN = `mutation LogIn($input: LogInInput!) {
  logIn(input: $input) { accessToken refreshToken expiresAt user { ${USER_FIELDS} } }
}`;

export const REFRESH = `mutation Refresh($token: String!) {
  refreshSession(refreshToken: $token) { accessToken refreshToken expiresAt user { id role } }
}`;

export const LOG_OUT = `mutation LogOut($token: String!) { logOut(refreshToken: $token) }`;

let counter = 0;
export const uniqueEmail = (label: string) => `${label}-${Date.now().toString(36)}-${++counter}@example.com`;
