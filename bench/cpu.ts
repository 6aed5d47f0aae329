/**
 * CPU seconds by who spent them, read from /proc around one benchmark step: the PostgreSQL server (its processes
 * and the backends they reaped), the S3 server (Ceph's daemons), and the whole machine. The action's own process
 * reports itself and its children (pg_dump, pg_restore) through the recorder the bench loads into it.
 */
import { readdir, readFile } from 'node:fs/promises';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const S3_SERVER = new Set(['radosgw', 'ceph-osd', 'ceph-mon']);

/** CPU seconds: since boot in a snapshot, over one step in a difference of two. */
export interface CpuUsage {
  readonly machine: number;
  readonly postgres: number;
  readonly s3Server: number;
}

/** Busy seconds of every CPU since boot, and the seconds spent so far by the server processes. */
export async function cpuSnapshot(): Promise<CpuUsage> {
  const stat = (await readFile('/proc/stat', 'utf8'))
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idle = stat[3]! + stat[4]!;
  const machine = stat.reduce((sum, value) => sum + value, 0) - idle;
  let postgres = 0;
  let s3Server = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const close = text.lastIndexOf(')');
    if (close < 0) continue;
    const comm = text.slice(text.indexOf('(') + 1, close);
    // utime, stime, cutime, cstime: fields 14–17; after the comm, field 3 is at index 0.
    const fields = text.slice(close + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0);
    if (comm === 'postgres') postgres += ticks;
    else if (S3_SERVER.has(comm)) s3Server += ticks;
  }
  return {
    machine: machine / TICKS_PER_SECOND,
    postgres: postgres / TICKS_PER_SECOND,
    s3Server: s3Server / TICKS_PER_SECOND,
  };
}

/** The server's own long-lived processes, by the title PostgreSQL gives them (`postgres: checkpointer`). */
const SERVER_PROCESSES =
  /^postgres: (checkpointer|background writer|walwriter|autovacuum launcher|autovacuum worker|logical replication launcher|walsummarizer|io worker \d+|archiver)\b/;

/**
 * Waits until no client backend (or parallel worker) of the PostgreSQL server is running or waiting to be reaped.
 * A backend that exits as a step ends is first a process of its own, then part of the postmaster's reaped CPU
 * (cutime). A snapshot that reads it while the postmaster reaps it can count it twice or not at all (pids wrap, so
 * /proc lists the two in either order): bare pg_restore's server CPU once came out at 25 s in a 12 s step on 2
 * cores. Gives up after `timeoutMs`, saying so.
 */
export async function waitForBackendsToExit(timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let busy = false;
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      if (!stat.includes('(postgres)')) continue;
      const zombie = stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
      const title = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''))
        .replace(/\0/g, ' ')
        .trim();
      // The postmaster's title is its command line; its children's start with "postgres: ".
      if (zombie || (title.startsWith('postgres: ') && !SERVER_PROCESSES.test(title))) busy = true;
    }
    if (!busy) return;
    if (performance.now() > deadline) {
      console.warn(`PostgreSQL backends still running after ${timeoutMs} ms; its CPU figures may be off`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function cpuSince(before: CpuUsage, after: CpuUsage): CpuUsage {
  return {
    machine: after.machine - before.machine,
    postgres: after.postgres - before.postgres,
    s3Server: after.s3Server - before.s3Server,
  };
}

/**
 * Loaded into the action's process (`--import`): at exit, writes its peak RSS, its own CPU seconds and those of the
 * children it waited for (pg_dump, pg_restore), from /proc/self/stat's cutime and cstime.
 */
export const RECORDER_SOURCE = `import { readFileSync, writeFileSync } from 'node:fs';
process.on('exit', () => {
  const usage = process.resourceUsage();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  writeFileSync(process.env.RSS_FILE, JSON.stringify({
    maxRssKb: usage.maxRSS,
    selfSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    childrenSeconds: (Number(fields[13]) + Number(fields[14])) / ${TICKS_PER_SECOND},
  }));
});
`;
