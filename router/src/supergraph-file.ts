import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from '@shop/runtime';

export interface SupergraphStatus {
  path: string;
  loadedAt: string | null;
  /** Why the file on disk is not the schema being served, if it is not. */
  reloadError: string | null;
}

// Writers often truncate then write, or write a temp file and rename it; wait for the burst
// of events to settle before reading.
const DEBOUNCE_MS = 150;

/**
 * Serves the supergraph composed ahead of time into a file, and swaps in a new one when the
 * file changes. A file that does not parse or validate is logged and the previous schema
 * keeps serving. The directory is watched, not the file, so a rename-into-place is seen.
 */
export class SupergraphFile {
  readonly status: SupergraphStatus;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private current = '';
  private stopped = false;

  constructor(
    path: string,
    private readonly log: Logger,
  ) {
    this.status = { path, loadedAt: null, reloadError: null };
  }

  readonly hook: SupergraphSdlHook = async ({ update }) => {
    const { path } = this.status;
    this.current = await readFile(path, 'utf8');
    this.status.loadedAt = new Date().toISOString();
    const file = basename(path);
    this.watcher = watch(dirname(path), (_event, name) => {
      if (name && name !== file) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(update), DEBOUNCE_MS);
    });
    this.watcher.on('error', (error) => this.log.error({ err: error, path }, 'supergraph watcher failed; schema changes are no longer picked up'));
    return {
      supergraphSdl: this.current,
      cleanup: async () => {
        this.stopped = true;
        clearTimeout(this.timer);
        this.watcher?.close();
      },
    };
  };

  private async reload(update: (sdl: string) => void): Promise<void> {
    const { path } = this.status;
    let sdl: string;
    try {
      sdl = await readFile(path, 'utf8');
    } catch (error) {
      this.fail(error, 'supergraph file unreadable; still serving the previous schema');
      return;
    }
    if (this.stopped) return;
    if (sdl === this.current) {
      this.status.reloadError = null;
      return;
    }
    try {
      update(sdl);
    } catch (error) {
      this.fail(error, 'supergraph file rejected; still serving the previous schema');
      return;
    }
    this.current = sdl;
    this.status.loadedAt = new Date().toISOString();
    this.status.reloadError = null;
    this.log.info({ path }, 'supergraph reloaded');
  }

  private fail(error: unknown, message: string): void {
    this.status.reloadError = error instanceof Error ? error.message : String(error);
    this.log.error({ err: error, path: this.status.path }, message);
  }
}
