import { randomBytes } from 'node:crypto';
import * as core from '@actions/core';
import { applySequenceValues, type Inventory } from '../inventory/index.js';
import { errorMessage } from '../shared/errors.js';
import type { Globals } from '../shared/globals.js';
import type { BackupKeys } from '../storage/object-layout.js';
import type { BackupContext, DumpOutcome } from './backup-context.js';
import type { DumpSequences } from './dump-contents.js';
import { dumpInSession } from './dump-upload.js';
import { beginGlobals } from './globals.js';
import type { SnapshotSession } from './snapshot-session.js';

/** What one snapshot session yields: the stored dump, the globals to store beside it, the schema inventory. */
export interface SessionResult {
  readonly outcome: DumpOutcome;
  readonly globals: Globals;
  /** Undefined when the catalogs could not be read (a warning, recorded in the globals' warnings). */
  readonly inventory: Inventory | undefined;
}

/**
 * Everything the backup reads in its snapshot: first the database's properties and the schema inventory (on the
 * session, before the dump's row counts use it), pg_dumpall for the roles meanwhile, then the dump itself. The
 * inventory's sequence values are then those the dump holds, from its table of contents.
 */
export async function backUpInSession(
  context: BackupContext,
  session: SnapshotSession,
  keys: BackupKeys,
): Promise<SessionResult> {
  const { inputs } = context;
  const finishGlobals = await beginGlobals(context.client.binDir, inputs.database, () =>
    session.databaseProperties(),
  );
  const digestKey = randomBytes(32).toString('hex');
  const problems: string[] = [];
  const started = performance.now();
  const inventory = await session.inventory(digestKey).catch((error: unknown) => {
    problems.push(`the schema inventory could not be taken: ${errorMessage(error)}`);
    return undefined;
  });
  if (inventory) {
    const seconds = (performance.now() - started) / 1000;
    core.info(`Schema inventory: ${inventory.objects.length} objects, taken in ${seconds.toFixed(2)} s`);
  }
  const outcome = await dumpInSession(context, session, keys);
  await session.close();
  const globals = await finishGlobals();
  for (const problem of problems) core.warning(`The backup goes on without it: ${problem}.`);
  return {
    outcome,
    globals: { ...globals, inventoryDigestKey: digestKey, warnings: [...globals.warnings, ...problems] },
    inventory: inventory && withDumpSequences(inventory, outcome.sequences),
  };
}

function withDumpSequences(inventory: Inventory, sequences: DumpSequences): Inventory {
  if ('values' in sequences) return applySequenceValues(inventory, sequences.values);
  core.warning(
    `The sequences' values could not be read from the dump (${sequences.problem}): the drill will not compare them.`,
  );
  return applySequenceValues(inventory, new Map());
}
