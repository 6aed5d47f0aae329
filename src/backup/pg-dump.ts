import { join } from 'node:path';
import * as core from '@actions/core';
import { libpqInvocation } from '../postgres/libpq-env.js';
import { describeExit, startChild } from '../shared/child-process.js';
import type { BackupContext } from './backup-context.js';

/** pg_dump failed to import the exported snapshot: worth one retry without it. */
export class SnapshotImportError extends Error {}

/** A running pg_dump; `verdict` settles with its exit, rejecting with its own error. */
export interface RunningDump {
  readonly dump: ReturnType<typeof startChild>;
  readonly verdict: Promise<void>;
}

/** Starts pg_dump (custom format, the resolved compression), in the exported snapshot when there is one. */
export function startDump(context: BackupContext, snapshotId: string | undefined): RunningDump {
  const { inputs } = context;
  const invocation = libpqInvocation(inputs.database);
  const args = [
    '--format=custom',
    `--compress=${context.compression}`,
    ...(snapshotId ? [`--snapshot=${snapshotId}`] : []),
    '--no-password',
    ...invocation.args,
    ...inputs.pgDumpArgs,
  ];
  core.info(`pg_dump ${args.join(' ')}`);
  const dump = startChild(join(context.client.binDir, 'pg_dump'), args, invocation.env);
  const verdict = dump.exit.then((exit) => {
    if (exit.code === 0) return;
    const message = describeExit('pg_dump', exit);
    if (
      snapshotId &&
      /invalid snapshot identifier|could not import|SET TRANSACTION SNAPSHOT/i.test(exit.stderr)
    ) {
      throw new SnapshotImportError(message);
    }
    throw new Error(message);
  });
  verdict.catch(() => undefined);
  return { dump, verdict };
}
