import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { REPO_ROOT } from '../paths';
import { SUBGRAPH_NAMES, SUBGRAPH_PORTS, type SubgraphName } from '../subgraphs';

export interface SubgraphSdl {
  name: SubgraphName;
  url: string;
  sdl: string;
}

export interface ComposedSupergraph {
  subgraphs: SubgraphSdl[];
  supergraphSdl: string;
  hints: string[];
}

export class CompositionFailedError extends Error {
  constructor(readonly errors: string[]) {
    super(`Supergraph composition failed with ${errors.length} error(s):\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    this.name = 'CompositionFailedError';
  }
}

export function defaultSubgraphUrl(name: SubgraphName): string {
  return `http://127.0.0.1:${SUBGRAPH_PORTS[name]}/graphql`;
}

const withFinalNewline = (text: string) => `${text.trimEnd()}\n`;

/**
 * One process per subgraph: type-graphql keeps its decorator metadata in a global, so two
 * subgraphs' schemas cannot be built in the same process.
 */
export function printSubgraphSdl(name: SubgraphName, root = REPO_ROOT): Promise<string> {
  const script = resolve(root, 'subgraphs', name, 'dist', 'print-schema.js');
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, [script], { cwd: root, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`printing the ${name} schema (node ${script}) failed: ${error.message}\n${stderr}`.trimEnd()));
      } else if (!stdout.trim()) {
        reject(new Error(`node ${script} printed no schema\n${stderr}`.trimEnd()));
      } else {
        resolvePromise(withFinalNewline(stdout));
      }
    });
  });
}

/** Composes already printed subgraph SDLs; throws CompositionFailedError listing every error. */
export function composeSdls(subgraphs: SubgraphSdl[]): ComposedSupergraph {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors) {
    throw new CompositionFailedError(result.errors.map((e) => (typeof e.extensions.code === 'string' ? `${e.extensions.code}: ${e.message}` : e.message)));
  }
  return {
    subgraphs,
    supergraphSdl: withFinalNewline(result.supergraphSdl),
    hints: result.hints.map((h) => h.toString()),
  };
}

/** Prints every subgraph's SDL from its build and composes the supergraph, all in memory. */
export async function composeSupergraph(options: { root?: string; urls?: Partial<Record<SubgraphName, string>> } = {}): Promise<ComposedSupergraph> {
  const subgraphs = await Promise.all(
    SUBGRAPH_NAMES.map(async (name) => ({
      name,
      url: options.urls?.[name] ?? defaultSubgraphUrl(name),
      sdl: await printSubgraphSdl(name, options.root),
    })),
  );
  return composeSdls(subgraphs);
}
