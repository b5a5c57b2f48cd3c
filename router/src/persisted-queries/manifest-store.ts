import { statSync, watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '@shop/runtime';
import { parseManifest, PersistedQueryList, type PersistedOperation } from './manifest';

export interface ManifestStatus {
  paths: string[];
  operations: number;
  loadedAt: string | null;
  /** Why the manifests on disk are not the list being served, if they are not. */
  reloadError: string | null;
}

const DEBOUNCE_MS = 150;

/** Each path is a manifest file, or a directory whose *.json files are manifests. */
async function readManifests(paths: readonly string[]): Promise<PersistedQueryList> {
  const operations: PersistedOperation[] = [];
  for (const path of paths) {
    const files = (await stat(path)).isDirectory()
      ? (await readdir(path))
          .filter((name) => name.endsWith('.json'))
          .sort()
          .map((name) => join(path, name))
      : [path];
    for (const file of files) operations.push(...parseManifest(await readFile(file, 'utf8'), file));
  }
  return new PersistedQueryList(operations);
}

/**
 * The persisted query list the router enforces, loaded at start (a broken manifest stops the
 * start) and reloaded when a manifest changes; a change that does not load is logged and the
 * previous list keeps serving. Directories are watched, so rename-into-place is seen.
 */
export class ManifestStore {
  readonly status: ManifestStatus;
  private list = new PersistedQueryList([]);
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    paths: readonly string[],
    private readonly log: Logger,
  ) {
    this.status = { paths: [...paths], operations: 0, loadedAt: null, reloadError: null };
  }

  get current(): PersistedQueryList {
    return this.list;
  }

  async start(): Promise<void> {
    this.swap(await readManifests(this.status.paths));
    for (const path of this.status.paths) {
      const isDirectory = statSync(path).isDirectory();
      const directory = isDirectory ? path : dirname(path);
      const file = isDirectory ? undefined : basename(path);
      const watcher = watch(directory, (_event, name) => {
        if (file && name && name !== file) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.reload(), DEBOUNCE_MS);
      });
      watcher.on('error', (error) => this.log.error({ err: error, path }, 'manifest watcher failed; changes are no longer picked up'));
      this.watchers.push(watcher);
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const watcher of this.watchers) watcher.close();
  }

  private async reload(): Promise<void> {
    try {
      const list = await readManifests(this.status.paths);
      if (this.stopped) return;
      this.swap(list);
      this.log.info({ operations: list.size }, 'persisted query manifests reloaded');
    } catch (error) {
      this.status.reloadError = (error as Error).message;
      this.log.error({ err: error }, 'persisted query manifest rejected; still serving the previous list');
    }
  }

  private swap(list: PersistedQueryList): void {
    this.list = list;
    this.status.operations = list.size;
    this.status.loadedAt = new Date().toISOString();
    this.status.reloadError = null;
  }
}
