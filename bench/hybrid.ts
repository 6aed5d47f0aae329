/**
 * What a post-quantum recipient costs a backup: the bundled action backs up the same database to an X25519 key
 * and to a hybrid (age1pq1…) key, alternating which goes first, on the same server and S3 server. Hybrid
 * encryption adds one ML-KEM-768 encapsulation per recipient per encrypted object (the dump and its roles and
 * settings) and nothing per byte, so the two should differ by noise; the key operations themselves are timed in
 * this process, on each ML-KEM-768 the action uses.
 */
import { randomBytes } from 'node:crypto';
import { generateDataset } from './dataset.js';
import type { SeveralBench } from './several.js';
import { generateHybridIdentity, generateIdentity, HybridIdentity } from '../src/age/index.js';
import { NOBLE_MLKEM, NODE_MLKEM, type MlKem768 } from '../src/age/mlkem.js';

export interface KeyTimes {
  readonly implementation: string;
  /** Milliseconds for one stanza: encapsulation and sealing the file key. */
  readonly wrapMs: number;
  /** Milliseconds for opening it with the secret key. */
  readonly unwrapMs: number;
}

export interface HybridResult {
  readonly databaseMb: number;
  readonly runs: number;
  /** Wall seconds of each backup. */
  readonly x25519: number[];
  readonly hybrid: number[];
  readonly keys: KeyTimes[];
}

const KEY_ROUNDS = 200;

function keyTimes(kem: MlKem768): KeyTimes {
  const identity = new HybridIdentity(randomBytes(32), kem);
  const fileKey = randomBytes(16);
  const stanzas = [];
  let started = performance.now();
  for (let i = 0; i < KEY_ROUNDS; i++) stanzas.push(identity.recipient.wrap(fileKey));
  const wrapMs = (performance.now() - started) / KEY_ROUNDS;
  started = performance.now();
  for (const stanza of stanzas) {
    if (!identity.unwrap(stanza)?.equals(fileKey)) throw new Error('a hybrid stanza did not open');
  }
  const unwrapMs = (performance.now() - started) / KEY_ROUNDS;
  return { implementation: kem.name, wrapMs, unwrapMs };
}

export async function measureHybrid(
  bench: Omit<SeveralBench, 'recipient'>,
  databaseMb: number,
  runs: number,
): Promise<HybridResult> {
  const database = 'hybrid_bench';
  await generateDataset(bench.server, database, databaseMb);
  const recipients = { x25519: generateIdentity().recipient, hybrid: generateHybridIdentity().recipient };
  const result: HybridResult = { databaseMb, runs, x25519: [], hybrid: [], keys: [] };
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? (['x25519', 'hybrid'] as const) : (['hybrid', 'x25519'] as const);
    for (const kind of order) {
      const prefix = `hybrid-${kind}-${run}`;
      await bench.settle();
      const seconds = await bench.backup(
        {
          'database-url': bench.server.url({ database }),
          'age-recipients': recipients[kind],
          prefix,
        },
        run,
      );
      result[kind].push(seconds);
      await bench.cleanUp(`${prefix}/`);
    }
    console.log(
      `hybrid run ${run + 1}: X25519 ${result.x25519.at(-1)!.toFixed(2)} s, hybrid ${result.hybrid.at(-1)!.toFixed(2)} s`,
    );
  }
  for (const kem of [NODE_MLKEM, NOBLE_MLKEM]) if (kem) result.keys.push(keyTimes(kem));
  return result;
}

export function hybridReport(result: HybridResult, median: (values: readonly number[]) => number): string {
  const x25519 = median(result.x25519);
  const hybrid = median(result.hybrid);
  const spread = (values: readonly number[]) =>
    `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)} s`;
  const keys = result.keys
    .map(
      (times) =>
        `${times.implementation}: ${times.wrapMs.toFixed(2)} ms to wrap, ${times.unwrapMs.toFixed(2)} ms to unwrap`,
    )
    .join('; ');
  return [
    `Post-quantum recipients (\`--hybrid-mb ${result.databaseMb}\`, medians of ${result.runs} alternating runs): ` +
      `a backup of a ${result.databaseMb} MiB database to one X25519 key ${x25519.toFixed(2)} s ` +
      `(${spread(result.x25519)}), to one hybrid age1pq1… key ${hybrid.toFixed(2)} s (${spread(result.hybrid)}), ` +
      `a ratio of ${(hybrid / x25519).toFixed(3)}. A hybrid key costs once per recipient per encrypted object ` +
      `(two per backup), whatever its size (${KEY_ROUNDS} rounds each, in the bench's process): ${keys}.`,
  ].join('\n');
}
