/**
 * `npm run report:tests`: runs the fault, damaged-backup, bad-input and secret checks, and writes the figures of
 * docs/testing.md ("What we test") from the run's own results (Vitest's JSON report), never from typed figures.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const repo = join(import.meta.dirname, '..');
const START = '<!-- what-we-test:start -->';
const END = '<!-- what-we-test:end -->';

interface AssertionResult {
  readonly ancestorTitles: string[];
  readonly title: string;
  readonly status: string;
}
interface Report {
  readonly numTotalTests: number;
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly testResults: { readonly name: string; readonly assertionResults: AssertionResult[] }[];
}

const SUITES = [
  'test/faults.test.ts',
  'test/bad-inputs.test.ts',
  'test/drill.test.ts',
  'test/backup.test.ts',
  'test/retention-action.test.ts',
];

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'what-we-test-'));
  try {
    const output = join(scratch, 'report.json');
    await execFileAsync(
      join(repo, 'node_modules', '.bin', 'vitest'),
      ['run', ...SUITES, '--reporter=json', `--outputFile=${output}`],
      { cwd: repo, maxBuffer: 256 * 1024 * 1024 },
    ).catch(() => undefined); // failures are counted from the report below
    const report = JSON.parse(await readFile(output, 'utf8')) as Report;
    const section = render(report);
    const testingPath = join(repo, 'docs', 'testing.md');
    const page = await readFile(testingPath, 'utf8');
    const start = page.indexOf(START);
    const end = page.indexOf(END);
    if (start < 0 || end < 0) throw new Error(`docs/testing.md has no ${START} … ${END} markers`);
    await writeFile(testingPath, `${page.slice(0, start + START.length)}\n${section}\n${page.slice(end)}`);
    // The same layout `npm run format` gives it, so `npm run all` leaves no diff.
    await execFileAsync(join(repo, 'node_modules', '.bin', 'prettier'), ['--write', testingPath], {
      cwd: repo,
    });
    console.log(section);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function render(report: Report): string {
  const all = report.testResults.flatMap((file) =>
    file.assertionResults.map((test) => ({ file: file.name, ...test })),
  );
  const count = (filter: (test: (typeof all)[number]) => boolean) => {
    const tests = all.filter(filter);
    return `${tests.filter((test) => test.status === 'passed').length} of ${tests.length}`;
  };
  const inFile = (name: string) => (test: (typeof all)[number]) => test.file.endsWith(name);
  const faults = count((test) => inFile('faults.test.ts')(test));
  const damaged = count(
    (test) =>
      inFile('drill.test.ts')(test) &&
      test.ancestorTitles.includes('drill failures') &&
      /^refuses/.test(test.title) &&
      !test.title.includes('inputs'),
  );
  const badInputs = count((test) => inFile('bad-inputs.test.ts')(test) && /^refuses /.test(test.title));
  const killed = count((test) =>
    /pg_dump is killed mid-stream|prunes nothing after a failed backup/.test(test.title),
  );
  const leaks = report.numFailedTests === 0 ? '0' : `unknown: ${report.numFailedTests} test(s) failed`;
  return [
    `Figures from \`npm run report:tests\` (${report.numPassedTests} of ${report.numTotalTests} tests passed in these suites):`,
    '',
    '| what | survived / refused |',
    '| --- | --- |',
    `| faults mid-run (500/503 retried, stalled network, store answering nothing, S3 gone, Postgres stopped, full temp disk) | ${faults} |`,
    `| damaged backups refused before the target sees a statement | ${damaged} |`,
    `| pg_dump killed mid-stream, failed backup with retention | ${killed} |`,
    `| bad inputs refused with a message naming the input, nothing written or deleted | ${badInputs} |`,
    `| secrets leaked (stdout, stderr, outputs, summary, manifests, Slack, child argv) | ${leaks} |`,
  ].join('\n');
}

await main();
