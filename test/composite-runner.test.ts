import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CompositeRun,
  type CompositeStepResult,
  runCompositeAction,
} from './support/composite-runner.js';

let scratch: string;
let actionCount = 0;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'composite-runner-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Writes `yaml` as the action.yml of a new action folder and returns the folder. */
async function writeAction(yaml: string): Promise<string> {
  const dir = join(scratch, `action-${++actionCount}`);
  await mkdir(dir);
  await writeFile(join(dir, 'action.yml'), yaml);
  return dir;
}

function step(run: CompositeRun, id: string): CompositeStepResult {
  const found = run.steps.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no step ${id}`);
  return found;
}

/** Whether `pid` still runs (a zombie waiting for its parent to reap it has ended). */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const FIXTURE = `
name: Composite fixture
description: One step per thing the runner does for a composite action
inputs:
  target-url:
    description: Reaches a node child through a hyphenated env name
    required: true
  fallback:
    description: Used when a step output is empty; its default is an expression
    default: fallback-\${{ runner.os }}
  flag:
    description: Turns the flagged step on
    default: 'false'
  greeting:
    description: Goes into step a's output
    default: hello
outputs:
  greeting:
    description: A step output
    value: \${{ steps.a.outputs.x }}
  letter:
    description: A heredoc step output
    value: \${{ steps.a.outputs.letter }}
  picked:
    description: Two step outputs in one string
    value: \${{ steps.pick.outputs.present }} / \${{ steps.pick.outputs.absent }}
runs:
  using: composite
  steps:
    - id: a
      name: Produce outputs, env, a PATH entry and a summary
      shell: bash
      run: |
        echo "x=\${{ inputs.greeting }}-x" >> "$GITHUB_OUTPUT"
        {
          echo 'letter<<EOF_LETTER'
          echo 'Dear reader,'
          echo 'x=not an output'
          echo 'EOF_LETTER'
        } >> "$GITHUB_OUTPUT"
        echo "cwd=$(pwd)" >> "$GITHUB_OUTPUT"
        echo "FROM_ENV_FILE=set by a" >> "$GITHUB_ENV"
        mkdir -p "$RUNNER_TEMP/bin"
        printf '#!/bin/sh\\necho fixture tool ran\\n' > "$RUNNER_TEMP/bin/fixture-tool"
        chmod +x "$RUNNER_TEMP/bin/fixture-tool"
        echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
        echo '## from a' >> "$GITHUB_STEP_SUMMARY"
    - id: pick
      shell: bash
      run: |
        test ! -s "$GITHUB_OUTPUT"
        echo "present=\${{ steps.a.outputs.x || inputs.fallback }}" >> "$GITHUB_OUTPUT"
        echo "absent=\${{ steps.a.outputs.missing || inputs.fallback }}" >> "$GITHUB_OUTPUT"
    - id: flagged
      if: inputs.flag == 'true'
      shell: bash
      run: echo "ran=yes" >> "$GITHUB_OUTPUT"
    - id: later
      shell: sh
      working-directory: \${{ github.action_path }}
      run: |
        echo "env-file=$FROM_ENV_FILE" >> "$GITHUB_OUTPUT"
        echo "env-context=\${{ env.FROM_ENV_FILE }}" >> "$GITHUB_OUTPUT"
        echo "tool=$(fixture-tool)" >> "$GITHUB_OUTPUT"
        echo "cwd=$(pwd)" >> "$GITHUB_OUTPUT"
        echo "temp=$RUNNER_TEMP" >> "$GITHUB_OUTPUT"
        echo "action-path=$GITHUB_ACTION_PATH" >> "$GITHUB_OUTPUT"
    - id: node-child
      shell: bash
      env:
        INPUT_TARGET-URL: \${{ inputs.target-url }}
      run: node -e 'console.log("url=" + process.env["INPUT_TARGET-URL"])' >> "$GITHUB_OUTPUT"
    - id: fails
      shell: bash
      run: |
        echo 'failing on purpose' >&2
        exit 3
    - id: after-failure
      shell: bash
      run: echo "should not run"
    - id: guarded-after-failure
      if: inputs.flag != 'true'
      shell: bash
      run: echo "should not run either"
    - id: cleanup
      if: always()
      shell: bash
      run: echo "saw=\${{ steps.fails.outcome }} \${{ steps.after-failure.outcome }}" >> "$GITHUB_OUTPUT"
    - id: on-failure
      if: \${{ failure() }}
      shell: bash
      run: echo "ran=yes" >> "$GITHUB_OUTPUT"
`;

describe('runCompositeAction, on a composite action with one step per behaviour', () => {
  let actionDir: string;
  let workspace: string;
  let run: CompositeRun;

  beforeAll(async () => {
    actionDir = await writeAction(FIXTURE);
    workspace = await mkdtemp(join(scratch, 'workspace-'));
    run = await runCompositeAction(
      actionDir,
      { 'target-url': 'https://example.test/a?b=c', unexpected: 'x' },
      { env: { GITHUB_WORKSPACE: workspace } },
    );
  });

  it('fails the action when a step fails, skips later steps (an if: without status function means success() && …) but runs always() and failure()', () => {
    expect(run.failed).toBe(true);
    expect(run.steps.map(({ id, outcome }) => `${id ?? ''}: ${outcome}`)).toEqual([
      'a: success',
      'pick: success',
      'flagged: skipped',
      'later: success',
      'node-child: success',
      'fails: failure',
      'after-failure: skipped',
      'guarded-after-failure: skipped',
      'cleanup: success',
      'on-failure: success',
    ]);
    expect(step(run, 'fails').stderr).toBe('failing on purpose\n');
    expect(step(run, 'cleanup').outputs).toEqual({ saw: 'failure skipped' });
  });

  it('reads outputs written as name=value and as heredocs, from a fresh GITHUB_OUTPUT per step', () => {
    expect(step(run, 'a').outputs).toEqual({
      x: 'hello-x',
      letter: 'Dear reader,\nx=not an output',
      cwd: workspace,
    });
    expect(step(run, 'pick').outcome).toBe('success');
  });

  it('evaluates `a || b` on step outputs and inputs, and input defaults that are expressions', () => {
    expect(step(run, 'pick').outputs).toEqual({ present: 'hello-x', absent: 'fallback-Linux' });
  });

  it('passes GITHUB_ENV and GITHUB_PATH additions to later steps, and working-directory', () => {
    const later = step(run, 'later').outputs;
    expect(later['env-file']).toBe('set by a');
    expect(later['env-context']).toBe('set by a');
    expect(later.tool).toBe('fixture tool ran');
    expect(later.cwd).toBe(actionDir);
    expect(later['action-path']).toBe(actionDir);
    expect(run.paths).toEqual([`${later.temp!}/bin`]);
  });

  it('passes a hyphenated env name from env: through bash to a node child', () => {
    expect(step(run, 'node-child').outputs).toEqual({ url: 'https://example.test/a?b=c' });
  });

  it('evaluates the action outputs from the step outputs, and collects the step summaries', () => {
    expect(run.outputs).toEqual({
      greeting: 'hello-x',
      letter: 'Dear reader,\nx=not an output',
      picked: 'hello-x / fallback-Linux',
    });
    expect(run.summary).toBe('## from a\n');
  });

  it('warns about inputs the action does not declare', () => {
    expect(run.warnings).toEqual([
      "Unexpected input(s) 'unexpected', valid inputs are ['target-url', 'fallback', 'flag', 'greeting']",
    ]);
  });

  it('removes RUNNER_TEMP when the run ends', () => {
    const temp = step(run, 'later').outputs.temp;
    expect(temp).toMatch(/composite-run-/);
    expect(existsSync(temp!)).toBe(false);
  });

  it('runs a step whose if: holds', async () => {
    const flagged = await runCompositeAction(actionDir, { 'target-url': 'x', flag: 'true' });
    expect(step(flagged, 'flagged')).toMatchObject({ outcome: 'success', outputs: { ran: 'yes' } });
  });

  it('throws when a required input is missing', async () => {
    await expect(runCompositeAction(actionDir, {})).rejects.toThrow(
      'Input required and not supplied: target-url',
    );
  });
});

describe('runCompositeAction, on expressions', () => {
  it('coerces values to strings as the runner does and unescapes every quote in a string literal', async () => {
    const dir = await writeAction(`
name: Expressions
description: Values of expressions
inputs:
  word:
    description: A word
    default: Yes
outputs:
  quoted:
    description: Escaped quotes
    value: \${{ 'it''s ''quoted''' }}
  comparison:
    description: Strings compare ignoring case
    value: \${{ inputs.word == 'YES' }}
  nothing:
    description: null
    value: '[\${{ null }}]'
  number:
    description: A number
    value: \${{ 1.50 }}
  json:
    description: fromJSON and toJSON
    value: \${{ toJSON(fromJSON('{"a":[1,true]}').a) }}
runs:
  using: composite
  steps:
    - shell: bash
      run: 'true'
`);
    const run = await runCompositeAction(dir, {});
    expect(run.outputs).toEqual({
      quoted: "it's 'quoted'",
      comparison: 'true',
      nothing: '[]',
      number: '1.5',
      json: '[\n  1,\n  true\n]',
    });
  });

  it('treats an if: that mixes text and ${{ }} as a non-empty string, so true, as the runner does', async () => {
    const dir = await writeAction(`
name: Mixed if
description: The runner's gotcha
runs:
  using: composite
  steps:
    - id: mixed
      if: \${{ 'a' }} == 'b'
      shell: bash
      run: 'true'
`);
    const run = await runCompositeAction(dir, {});
    expect(step(run, 'mixed').outcome).toBe('success');
  });

  it('fails a step, not the run, when an expression fails while it is evaluated', async () => {
    const dir = await writeAction(`
name: Evaluation error
description: fromJSON of something that is not JSON
runs:
  using: composite
  steps:
    - id: broken
      shell: bash
      run: echo \${{ fromJSON('not json') }}
`);
    const run = await runCompositeAction(dir, {});
    expect(run.failed).toBe(true);
    expect(step(run, 'broken').outcome).toBe('failure');
    expect(step(run, 'broken').stderr).toMatch(/^Error: Error evaluating 'fromJSON\('not json'\)'/);
  });

  it('throws on a syntax error, an unknown context or function, before running any step', async () => {
    for (const bad of ['${{ inputs.a == }}', '${{ secrets.token }}', '${{ success() }}']) {
      const dir = await writeAction(`
name: Bad expression
description: Rejected when loaded
runs:
  using: composite
  steps:
    - shell: bash
      run: touch "$GITHUB_ACTION_PATH/ran"
    - shell: bash
      run: echo '${bad}'
`);
      await expect(runCompositeAction(dir, {})).rejects.toThrow(/step 2: invalid expression/);
      expect(existsSync(join(dir, 'ran'))).toBe(false);
    }
  });
});

describe('runCompositeAction, on steps', () => {
  it('lets a failed step with continue-on-error leave the action successful', async () => {
    const dir = await writeAction(`
name: Continue on error
description: A failure that does not count
runs:
  using: composite
  steps:
    - id: fails
      continue-on-error: true
      shell: bash
      run: exit 1
    - id: next
      shell: bash
      run: echo "saw=\${{ steps.fails.outcome }} \${{ steps.fails.conclusion }}" >> "$GITHUB_OUTPUT"
`);
    const run = await runCompositeAction(dir, {});
    expect(run.failed).toBe(false);
    expect(step(run, 'fails').outcome).toBe('failure');
    expect(step(run, 'next').outputs).toEqual({ saw: 'failure success' });
  });

  it('kills a step after timeoutMs and fails it', async () => {
    const dir = await writeAction(`
name: Slow
description: Sleeps past the timeout
runs:
  using: composite
  steps:
    - id: slow
      shell: bash
      run: sleep 60
    - id: after
      if: always()
      shell: bash
      run: 'true'
`);
    const started = Date.now();
    const run = await runCompositeAction(dir, {}, { timeoutMs: 500 });
    // Ended before the step's own sleep could: the timeout did it, however slow the machine.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(run.failed).toBe(true);
    expect(step(run, 'slow').outcome).toBe('failure');
    expect(step(run, 'slow').stderr).toContain('timed out after 500 ms');
    expect(step(run, 'after').outcome).toBe('success');
  });

  it('ends a step whose background process holds its stdout, and kills that process when the run ends', async () => {
    const dir = await writeAction(`
name: Background
description: Leaves a process running
runs:
  using: composite
  steps:
    - id: background
      shell: bash
      run: |
        sleep 300 &
        echo "pid=$!" >> "$GITHUB_OUTPUT"
`);
    // A run that waited for the background sleep (300 s) would outlast this test's timeout.
    const run = await runCompositeAction(dir, {});
    expect(run.failed).toBe(false);
    const pid = Number(step(run, 'background').outputs.pid);
    await expect.poll(() => isRunning(pid)).toBe(false);
  });

  it('runs sh steps with -e', async () => {
    const dir = await writeAction(`
name: sh
description: sh -e stops at the first failing command
runs:
  using: composite
  steps:
    - id: sh
      shell: sh
      run: |
        false
        echo "reached=yes" >> "$GITHUB_OUTPUT"
`);
    const run = await runCompositeAction(dir, {});
    expect(step(run, 'sh')).toMatchObject({ outcome: 'failure', outputs: {} });
  });

  it('refuses uses: steps, and run steps without a shell', async () => {
    const uses = await writeAction(`
name: Uses
description: Not supported
runs:
  using: composite
  steps:
    - uses: actions/checkout@v4
`);
    await expect(runCompositeAction(uses, {})).rejects.toThrow(/uses 'actions\/checkout@v4'/);
    const noShell = await writeAction(`
name: No shell
description: The runner requires one in composite actions
runs:
  using: composite
  steps:
    - run: echo hi
`);
    await expect(runCompositeAction(noShell, {})).rejects.toThrow(/required property is missing: shell/);
  });
});
