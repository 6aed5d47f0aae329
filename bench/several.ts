/**
 * What a second and a third database add to a backup step: the bundled action backs up one database, then the
 * same and two more of the same size in one step (three `database-url` lines), alternating, on the same server
 * and S3 server. A run of several pays the start-up, the bucket check and the client lookup once; each further
 * database adds its own connection, snapshot, dump, upload, inventory and manifest.
 */
import { generateDataset } from './dataset.js';
import type { TestPostgres } from '../test/support/postgres-server.js';

export interface SeveralResult {
  readonly databaseMb: number;
  readonly runs: number;
  /** Wall seconds of each run: one database, and three in one step. */
  readonly one: number[];
  readonly three: number[];
}

export interface SeveralBench {
  readonly server: TestPostgres;
  /** Runs the bundled action with these inputs; resolves to its wall seconds. */
  backup(inputs: Record<string, string>, run: number): Promise<number>;
  /** Deletes what the runs stored and lets the S3 server reclaim the space. */
  cleanUp(prefix: string): Promise<void>;
  /** Lets the servers write out what the last step left dirty, so the next does not pay for it. */
  settle(): Promise<void>;
  readonly recipient: string;
}

export async function measureSeveral(
  bench: SeveralBench,
  databaseMb: number,
  runs: number,
): Promise<SeveralResult> {
  const names = ['several_a', 'several_b', 'several_c'];
  for (const name of names) await generateDataset(bench.server, name, databaseMb);
  const urls = names.map((database) => bench.server.url({ database }));
  const result: SeveralResult = { databaseMb, runs, one: [], three: [] };
  for (let run = 0; run < runs; run++) {
    for (const [count, list] of [
      [1, result.one],
      [3, result.three],
    ] as const) {
      const prefix = `several-${count}-${run}`;
      await bench.settle();
      const seconds = await bench.backup(
        { 'database-url': urls.slice(0, count).join('\n'), 'age-recipients': bench.recipient, prefix },
        run,
      );
      list.push(seconds);
      await bench.cleanUp(`${prefix}/`);
    }
    console.log(
      `several run ${run + 1}: one ${result.one.at(-1)!.toFixed(2)} s, three ${result.three.at(-1)!.toFixed(2)} s`,
    );
  }
  return result;
}

export function severalReport(result: SeveralResult, median: (values: readonly number[]) => number): string {
  const one = median(result.one);
  const three = median(result.three);
  const each = (three - one) / 2;
  return [
    `Several databases (\`--several-mb ${result.databaseMb}\`, medians of ${result.runs} alternating runs): one ` +
      `${result.databaseMb} MiB database ${one.toFixed(2)} s; three in one step ${three.toFixed(2)} s, so each further ` +
      `database adds ${each.toFixed(2)} s (${((each / one) * 100).toFixed(0)}% of a one-database step; three separate ` +
      `steps would take ${(3 * one).toFixed(2)} s).`,
  ].join('\n');
}
