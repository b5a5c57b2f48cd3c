import { createHash } from 'node:crypto';
import { z } from 'zod';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string(),
      type: z.enum(['query', 'mutation', 'subscription']),
      body: z.string().min(1),
    }),
  ),
});

export type PersistedOperation = z.infer<typeof manifestSchema>['operations'][number];

/** Reads one manifest in Apollo's format; `source` names it in the error. */
export function parseManifest(text: string, source: string): PersistedOperation[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not JSON (${(error as Error).message})`);
  }
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`${source}: not an Apollo persisted query manifest (${issue.path.join('.') || 'root'}: ${issue.message})`);
  }
  return result.data.operations;
}

/** Every operation the manifests allow, by id and by the sha256 of its body. */
export class PersistedQueryList {
  private readonly byId = new Map<string, PersistedOperation>();
  private readonly byBodyHash = new Map<string, PersistedOperation>();

  constructor(operations: Iterable<PersistedOperation>) {
    for (const operation of operations) {
      const existing = this.byId.get(operation.id);
      if (existing && existing.body !== operation.body) {
        throw new Error(`persisted query id ${operation.id} names two different operations (${existing.name}, ${operation.name})`);
      }
      this.byId.set(operation.id, operation);
      this.byBodyHash.set(sha256(operation.body), operation);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  byIdentifier(id: string): PersistedOperation | undefined {
    return this.byId.get(id);
  }

  /** Lists a text only if it is byte for byte a manifest body. */
  byBody(body: string): PersistedOperation | undefined {
    return this.byBodyHash.get(sha256(body));
  }

  hasBodyHash(hash: string): boolean {
    return this.byBodyHash.has(hash);
  }
}
