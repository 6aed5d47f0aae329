import type { ChildProcess } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readdir, readFile } from 'node:fs/promises';

/**
 * Records the command line of every descendant of this process while it runs, so tests can prove that no secret
 * ever reaches a child's argv: pg_dump, pg_restore, psql, bash, tar… Node's `child_process` channel reports every
 * direct child, however briefly it lives; polling /proc adds their own children (psql under bash), which a poll
 * can miss when they end at once.
 */
export function watchChildArgv(intervalMs = 15): { stop(): Promise<string[]> } {
  const seen = new Map<number, string>();
  const direct: string[] = [];
  const onChild = (message: unknown): void => {
    const child = (message as { process: ChildProcess }).process;
    // The channel fires before spawn() fills in the command line.
    queueMicrotask(() => {
      if (child.spawnargs.length > 0) direct.push(child.spawnargs.join(' ').trim());
    });
  };
  subscribe('child_process', onChild);
  const running = { value: true };
  const loop = (async () => {
    while (running.value) {
      await sample(seen);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running.value = false;
      await loop;
      unsubscribe('child_process', onChild);
      return [...new Set([...direct, ...seen.values()])];
    },
  };
}

/** The pid of a direct child of this process whose command line holds `pattern`, once one runs (from /proc). */
export async function waitForChild(pattern: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const child of await childrenOf(process.pid)) {
      const argv = await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '');
      if (argv.split('\0').join(' ').includes(pattern)) return child;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no child process matching ${pattern} appeared within ${timeoutMs} ms`);
}

/** Walks the process tree down from this process through /proc/<pid>/task/<tid>/children. */
async function sample(seen: Map<number, string>): Promise<void> {
  const queue = [process.pid];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of await childrenOf(pid)) {
      queue.push(child);
      if (seen.has(child)) continue;
      const argv = await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '');
      if (argv) seen.set(child, argv.split('\0').join(' ').trim());
    }
  }
}

async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => []);
  const lists = await Promise.all(
    tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')),
  );
  return lists.flatMap((list) => list.split(' ').filter(Boolean).map(Number));
}
