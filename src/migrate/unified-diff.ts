import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeExit, runCapturing } from '../shared/child-process.js';

/** `diff -u` of two texts, with `labels` in its header; '' when they are equal. */
export async function unifiedDiff(before: string, after: string, labels: [string, string]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'schema-diff-'));
  try {
    const [beforePath, afterPath] = [join(dir, 'before'), join(dir, 'after')];
    await writeFile(beforePath, before);
    await writeFile(afterPath, after);
    const { stdout, exit } = await runCapturing(
      'diff',
      ['-u', '--label', labels[0], '--label', labels[1], beforePath, afterPath],
      process.env,
    );
    // diff exits with 1 when the files differ and 2 on trouble.
    if (exit.code !== 0 && exit.code !== 1) throw new Error(describeExit('diff', exit));
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
