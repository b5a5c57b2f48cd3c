import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runCli } from './cli';
import { composeSupergraph, CompositionFailedError } from './schema/compose-supergraph';
import { contractProblems } from './schema/contract';
import { REPO_ROOT, SCHEMA_DIR } from './paths';

/** The router watches supergraph.graphql: write aside and rename so it never reads half a file. */
function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

runCli(async () => {
  let composed;
  try {
    composed = await composeSupergraph();
  } catch (error) {
    if (error instanceof CompositionFailedError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  for (const { name, sdl } of composed.subgraphs) {
    const path = join(SCHEMA_DIR, `${name}.graphql`);
    writeAtomically(path, sdl);
    process.stdout.write(`wrote ${relative(REPO_ROOT, path)}\n`);
    const problems = contractProblems(readFileSync(join(SCHEMA_DIR, 'contract', `${name}.graphql`), 'utf8'), sdl);
    for (const problem of problems) process.stderr.write(`warning: ${name} breaks its contract: ${problem}\n`);
  }
  const supergraphPath = join(SCHEMA_DIR, 'supergraph.graphql');
  writeAtomically(supergraphPath, composed.supergraphSdl);
  process.stdout.write(`wrote ${relative(REPO_ROOT, supergraphPath)} (${composed.hints.length} composition hint(s))\n`);
  for (const hint of composed.hints) process.stdout.write(`hint: ${hint}\n`);
});
