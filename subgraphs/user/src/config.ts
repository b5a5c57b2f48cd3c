import { authEnv, parseEnv, positiveInt, serviceEnvSchema } from '@shop/runtime';
import { z } from 'zod';

export const userEnvSchema = serviceEnvSchema({ port: 4002, database: 'shop_user' }).extend({
  ...authEnv,
  /** JSON array of private EC P-256 JWKs with a kid; the first signs. Generated into SECRETS_DIR in development. */
  AUTH_JWT_PRIVATE_KEYS: z.string().optional(),
  AUTH_ACCESS_TOKEN_TTL_SECONDS: positiveInt(900),
  AUTH_REFRESH_TOKEN_TTL_SECONDS: positiveInt(2_592_000),
  // scrypt N: 16384 (with r=8) is about 50 ms and 16 MiB per hash; tests lower it to stay fast.
  AUTH_SCRYPT_COST: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1_048_576)
    .refine((n) => (n & (n - 1)) === 0, 'must be a power of two')
    .default(16_384),
});

export type UserConfig = ReturnType<typeof parseConfig>;

export function parseConfig(env: NodeJS.ProcessEnv) {
  return parseEnv(userEnvSchema, env);
}
