import type { SeedProgress, SeedStage } from './dataset';

const REDRAW_MS = 100;

/**
 * Seeding progress on stderr. On a terminal: one line redrawn in place per stage
 * ("products  1200/5000  24%"). Elsewhere (CI, a pipe): a plain line per 10 % step, so a log
 * shows progress without thousands of lines.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): { report: SeedProgress; finish(): void } {
  const tty = stream.isTTY === true;
  let current: SeedStage | undefined;
  let lastDraw = 0;
  let lastDecile = -1;
  let started = Date.now();

  const line = (stage: SeedStage, done: number, total: number) => {
    const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
    return `${stage.padEnd(13)} ${String(done).padStart(String(total).length)}/${total} ${String(percent).padStart(3)}%`;
  };

  const report: SeedProgress = (stage, done, total) => {
    if (stage !== current) {
      if (tty && current !== undefined) stream.write('\n');
      current = stage;
      lastDraw = 0;
      lastDecile = -1;
      started = Date.now();
    }
    const complete = done >= total;
    const elapsed = complete ? ` in ${((Date.now() - started) / 1000).toFixed(1)} s` : '';
    if (tty) {
      const now = Date.now();
      if (!complete && now - lastDraw < REDRAW_MS) return;
      lastDraw = now;
      stream.write(`\r\x1b[2K${line(stage, done, total)}${elapsed}`);
      return;
    }
    const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
    if (decile === lastDecile) return;
    lastDecile = decile;
    stream.write(`${line(stage, done, total)}${elapsed}\n`);
  };

  return {
    report,
    finish() {
      if (tty && current !== undefined) stream.write('\n');
      current = undefined;
    },
  };
}
