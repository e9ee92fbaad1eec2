/** How often the parent (npm) is looked for, in milliseconds. */
const PARENT_CHECK_INTERVAL_MS = 1_000;

/**
 * Runs `stop` once on the first SIGINT, SIGTERM or SIGHUP, when whoever reads the output is gone
 * (a closed terminal or pipe: EPIPE) or when the parent process is, then exits with `exitCode`.
 * npm runs the scripts with `exec`, so a signal sent to npm reaches this process, not only a
 * shell in between.
 */
export function stopOnSignals(stop: (reason: string) => Promise<void>, exitCode: () => number = () => 0): void {
  let stopping = false;
  const stopOnce = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    await stop(reason);
    process.exit(exitCode());
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopOnce(signal));
  const stopOnBrokenPipe = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    void stopOnce('output closed');
  };
  process.stdout.on('error', stopOnBrokenPipe);
  process.stderr.on('error', stopOnBrokenPipe);
  // npm killed outright (SIGKILL) signals nothing: this process is then handed to another parent.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stopOnce('parent process gone');
  }, PARENT_CHECK_INTERVAL_MS).unref();
}
