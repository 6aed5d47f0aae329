import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What `client.json` beside an installed client's `bin/` says of where it came from (apt-repository.ts writes it). */
export interface ClientRecord {
  readonly major: number;
  readonly client: { readonly package: string; readonly version: string; readonly sha256: string };
  readonly repository: string;
  readonly suite: string;
  /** The signed index it was chosen from; absent in records written before the index was signed. */
  readonly index?: { readonly path: string; readonly sha256: string };
}

/** The record of the client in `binDir`, or undefined when there is none (a client this action did not install). */
export async function readClientRecord(binDir: string): Promise<ClientRecord | undefined> {
  try {
    const record = JSON.parse(
      await readFile(join(binDir, '..', 'client.json'), 'utf8'),
    ) as Partial<ClientRecord>;
    return typeof record.client?.version === 'string' ? (record as ClientRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** The upstream part of a Debian version: `1:17.6-1.pgdg24.04+1` → `17.6`. */
export function upstreamVersion(debianVersion: string): string {
  return debianVersion
    .replace(/^\d+:/, '')
    .replace(/-[^-]*$/, '')
    .replace(/[~+].*$/, '');
}
