import { parseEnv, serviceEnvSchema } from '@shop/runtime';

export const orderEnvSchema = serviceEnvSchema({ port: 4004, database: 'shop_order' });

export type OrderConfig = ReturnType<typeof parseConfig>;

export function parseConfig(env: NodeJS.ProcessEnv) {
  return parseEnv(orderEnvSchema, env);
}
