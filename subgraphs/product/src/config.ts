import { parseEnv, serviceEnvSchema } from '@shop/runtime';

export const productEnvSchema = serviceEnvSchema({ port: 4001, database: 'shop_product' });

export type ProductConfig = ReturnType<typeof parseConfig>;

export function parseConfig(env: NodeJS.ProcessEnv) {
  return parseEnv(productEnvSchema, env);
}
