import { parseEnv, serviceEnvSchema } from '@shop/runtime';

export const cartEnvSchema = serviceEnvSchema({ port: 4003, database: 'shop_cart' });

export type CartConfig = ReturnType<typeof parseConfig>;

export function parseConfig(env: NodeJS.ProcessEnv) {
  return parseEnv(cartEnvSchema, env);
}
