import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses env once; every problem is reported, each naming its variable. */
export function parseEnv<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(env)';
      const value = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
      return `${name}: ${issue.message}${value === undefined ? '' : ` (got '${value}')`}`;
    }),
  );
}

/** For composition roots: print the problems and exit non-zero. */
export function loadConfigOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const url = (fallback: string, protocols: string[]) =>
  z
    .string()
    .default(fallback)
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.join(' or ')}//`,
    );

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const nonNegativeInt = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

export const nodeEnv = z.enum(['development', 'test', 'production']).default('development');

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

const trueOrFalse = z.enum(['true', 'false']);

/** `true` or `false`; unset is undefined, for settings whose default depends on others. */
export const optionalFlag = trueOrFalse.optional().transform((value) => (value === undefined ? undefined : value === 'true'));

/** `true` or `false`; unset is `fallback`. */
export const flag = (fallback: boolean) => optionalFlag.transform((value) => value ?? fallback);

/** Comma-separated list, blanks dropped. */
export const list = (fallback: string[] = []) =>
  z
    .string()
    .optional()
    .transform((value) =>
      value === undefined
        ? fallback
        : value
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
    );

/**
 * Comma-separated `key=number` pairs, e.g. `product=300,cartLines=30`, blanks dropped; a key
 * named twice keeps its last number. Each key must match `key` whole and each number be a whole
 * number of at least `min` (0 unless told); the first pair that does not is refused as
 * "'pair' is not <what>".
 */
export const keyValueList = (options: { key: RegExp; what: string; min?: number }) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const entries: Record<string, number> = {};
      for (const pair of (value ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const at = pair.indexOf('=');
        const key = pair.slice(0, at).trim();
        const number = pair.slice(at + 1).trim();
        if (at < 0 || !wholeMatch(options.key, key) || !/^\d+$/.test(number) || Number(number) < (options.min ?? 0)) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `'${pair}' is not ${options.what}` });
          return z.NEVER;
        }
        entries[key] = Number(number);
      }
      return entries;
    });

function wholeMatch(pattern: RegExp, value: string): boolean {
  return new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, '')).test(value);
}
