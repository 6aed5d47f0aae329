import * as core from '@actions/core';
import { Output } from '../shared/constants.js';
import type { ClientUsed } from '../shared/client-used.js';
import { writeJobSummary } from '../shared/job-summary.js';
import { formatDuration } from '../shared/duration.js';
import { formatBytes } from '../shared/format.js';
import { describeEncryption } from '../shared/manifest.js';
import type { BackupResult } from './backup-context.js';

/** Sets the backup's step outputs (docs/contract.md). */
export function setBackupOutputs(result: BackupResult): void {
  const { manifest, keys } = result;
  const counted = manifest.rowCounts.tables.filter((table) => !table.excluded);
  core.setOutput(Output.Key, keys.object);
  core.setOutput(Output.ManifestKey, keys.manifest);
  core.setOutput(Output.SizeBytes, String(manifest.object.sizeBytes));
  core.setOutput(Output.Sha256, manifest.object.sha256);
  core.setOutput(Output.TableCount, String(counted.length));
  core.setOutput(Output.RowCount, String(counted.reduce((sum, table) => sum + (table.rows ?? 0), 0)));
}

/** The job summary: one table of what was backed up. Best effort: a summary failure only warns. */
export async function writeBackupSummary(result: BackupResult, client: ClientUsed): Promise<void> {
  const { manifest, keys } = result;
  const counted = manifest.rowCounts.tables.filter((table) => !table.excluded);
  const excluded = manifest.rowCounts.tables.length - counted.length;
  const rows = counted.reduce((sum, table) => sum + (table.rows ?? 0), 0);
  const rate = manifest.dump.dumpBytes / Math.max(0.001, manifest.durationSeconds);
  await writeJobSummary((summary) =>
    summary.addHeading(`Backup of ${manifest.database}`, 2).addTable([
      [
        { data: 'What', header: true },
        { data: 'Value', header: true },
      ],
      ['Database', manifest.database],
      ['Server', `PostgreSQL ${manifest.server.version}`],
      [
        'Client',
        `pg_dump ${client.version} (from the ${client.source}), compression ${manifest.dump.compression}`,
      ],
      ['Encryption', describeEncryption(manifest.encryption)],
      [
        'Size',
        `${formatBytes(manifest.object.sizeBytes)} stored (${formatBytes(manifest.dump.dumpBytes)} dumped)`,
      ],
      ['Duration', formatDuration(manifest.durationSeconds)],
      ['Rate', `${formatBytes(rate)}/s`],
      ['Tables', `${counted.length}${excluded ? ` (+${excluded} excluded)` : ''}`],
      ['Rows', `${rows.toLocaleString('en-US')} (${manifest.rowCounts.mode})`],
      [
        'Snapshot',
        manifest.dump.snapshot.shared
          ? 'shared with the row counts'
          : `not shared: ${manifest.dump.snapshot.reason ?? ''}`,
      ],
      ['Key', `<code>${keys.object}</code>`],
      ['SHA-256', `<code>${manifest.object.sha256}</code>`],
    ]),
  );
}
