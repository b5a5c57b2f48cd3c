import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildASTSchema, findBreakingChanges, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printSubgraphSchema } from '@shop/runtime/subgraph';
import { buildUserSchema } from '../src/schema';

const build = (sdl: string) => buildASTSchema(parse(sdl), { assumeValidSDL: true });

describe('schema', () => {
  it('implements the user contract without breaking changes', async () => {
    const contract = readFileSync(join(__dirname, '../../../schema/contract/user.graphql'), 'utf8');
    const generated = printSubgraphSchema(await buildUserSchema());
    expect(findBreakingChanges(build(contract), build(generated))).toEqual([]);
    expect(generated).toMatch(/type User\s+@key\(fields: "id"\)/);
  });
});
