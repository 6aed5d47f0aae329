import { existsSync, readdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { convertActionTemplate, parseAction } from '@actions/workflow-parser/actions/index';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Input, Output } from '../src/shared/constants.js';
import { TEST_MAJORS } from './support/postgres-server.js';

const root = join(import.meta.dirname, '..');

async function workflowFiles(): Promise<string[]> {
  const dir = join(root, '.github', 'workflows');
  return (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).map((name) => join(dir, name));
}

describe('workflows, parsed by GitHub’s own parser', () => {
  it('has CI, check-dist, end-to-end and release workflows', async () => {
    const names = (await workflowFiles()).map((file) => file.split('/').pop());
    expect(names).toEqual(expect.arrayContaining(['ci.yml', 'check-dist.yml', 'e2e.yml', 'release.yml']));
  });

  it.each(readdirSync(join(root, '.github', 'workflows')).filter((name) => /\.ya?ml$/.test(name)))(
    '%s is a valid workflow',
    async (name) => {
      const content = await readFile(join(root, '.github', 'workflows', name), 'utf8');
      const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
      expect(result.context.errors.getErrors().map((error) => error.message)).toEqual([]);
      expect(result.value).toBeDefined();
    },
  );

  it('would catch a broken workflow', () => {
    const content = 'on: push\njobs:\n  test:\n    steps: []\n    runs-on: ubuntu-latest\n    timeout: 5\n';
    const result = parseWorkflow({ name: 'broken.yml', content }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().length).toBeGreaterThan(0);
  });

  it('uses only GitHub-owned actions, each pinned to a full commit SHA with its version beside it', async () => {
    for (const file of await workflowFiles()) {
      const text = await readFile(file, 'utf8');
      for (const [, uses] of text.matchAll(/^\s*(?:-\s+)?uses:\s*(.+)$/gm)) {
        if (uses!.startsWith('./')) continue;
        expect(uses, file).toMatch(/^actions\/[a-z-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
      }
    }
  });

  it('e2e.yml runs every supported server major on GitHub’s x64 and arm64 runners, and Node 20 and 22 on PATH', async () => {
    const workflow = parse(await readFile(join(root, '.github', 'workflows', 'e2e.yml'), 'utf8')) as {
      jobs: Record<
        string,
        { strategy: { matrix: Record<string, unknown[]> & { include: Record<string, unknown>[] } } }
      >;
    };
    const { matrix } = workflow.jobs.e2e!.strategy;
    expect(matrix.postgres).toEqual([...TEST_MAJORS]);
    expect(matrix.runner).toEqual(['ubuntu-24.04', 'ubuntu-24.04-arm']);
    expect(matrix.include.map((entry) => entry['path-node'])).toEqual(['20', '22']);
  });

  it('sets up the Node of .node-version, the major action.yml runs on, wherever a job sets up its own', async () => {
    const major = (await readFile(join(root, '.node-version'), 'utf8')).trim();
    const action = await readFile(join(root, 'action.yml'), 'utf8');
    expect(action).toMatch(new RegExp(`^\\s+using: node${major}$`, 'm'));
    expect(process.versions.node.split('.')[0]).toBe(major);
    for (const file of await workflowFiles()) {
      const text = await readFile(file, 'utf8');
      for (const [, value] of text.matchAll(/^\s+node-version: (.+)$/gm)) {
        // Only the end-to-end jobs that put another Node on PATH for the drill composite, from the matrix.
        expect([file.split('/').pop(), value]).toEqual(['e2e.yml', '${{ matrix.path-node }}']);
      }
      for (const [, value] of text.matchAll(/^\s+node-version-file: (.+)$/gm))
        expect(value).toBe('.node-version');
    }
  });

  it('has a Dependabot config that groups npm and GitHub Actions updates and keeps Node on its major', async () => {
    const config = parse(await readFile(join(root, '.github', 'dependabot.yml'), 'utf8')) as {
      version: number;
      updates: { 'package-ecosystem': string; groups?: object; ignore?: { 'dependency-name': string }[] }[];
    };
    expect(config.version).toBe(2);
    expect(config.updates.map((update) => update['package-ecosystem']).sort()).toEqual([
      'github-actions',
      'npm',
    ]);
    for (const update of config.updates) expect(Object.keys(update.groups ?? {})).toHaveLength(1);
    const npm = config.updates.find((update) => update['package-ecosystem'] === 'npm')!;
    expect(npm.ignore?.map((rule) => rule['dependency-name'])).toContain('node');
  });

  it('release.yml can write only in the job that tags and publishes', async () => {
    const workflow = parse(await readFile(join(root, '.github', 'workflows', 'release.yml'), 'utf8')) as {
      permissions: Record<string, string>;
      jobs: Record<string, { permissions?: Record<string, string> }>;
    };
    expect(workflow.permissions).toEqual({ contents: 'read' });
    const writers = Object.entries(workflow.jobs).filter(([, job]) =>
      Object.values(job.permissions ?? {}).includes('write'),
    );
    expect(writers.map(([name, job]) => [name, job.permissions])).toEqual([
      ['release', { contents: 'write' }],
    ]);
  });
});

describe('action.yml', () => {
  async function action() {
    const content = await readFile(join(root, 'action.yml'), 'utf8');
    const result = parseAction({ name: 'action.yml', content }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((error) => error.message)).toEqual([]);
    return convertActionTemplate(result.context, result.value!);
  }

  it('runs dist/index.js on node24', async () => {
    const template = await action();
    expect(template.runs).toMatchObject({ using: 'node24', main: 'dist/index.js' });
    expect(existsSync(join(root, 'dist', 'index.js'))).toBe(true);
  });

  it('declares exactly the inputs and outputs the code reads and writes', async () => {
    const template = await action();
    expect(template.inputs?.map((input) => input.id).sort()).toEqual(Object.values(Input).sort());
    expect(template.outputs?.map((output) => output.id).sort()).toEqual(Object.values(Output).sort());
  });
});

describe('workflows-examples and the drill action', () => {
  async function parsedAction(path: string) {
    const content = await readFile(join(root, path), 'utf8');
    const result = parseAction({ name: path, content }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((error) => error.message)).toEqual([]);
    return convertActionTemplate(result.context, result.value!);
  }

  it('drill/action.yml is a valid composite action whose steps pass only inputs the main action declares', async () => {
    const drill = await parsedAction('drill/action.yml');
    const main = await parsedAction('action.yml');
    expect(drill.runs.using).toBe('composite');
    const mainInputs = new Set(main.inputs?.map((input) => input.id));
    const text = await readFile(join(root, 'drill', 'action.yml'), 'utf8');
    const passed = [...text.matchAll(/^\s+INPUT_([A-Z0-9-]+):/gm)].map((match) => match[1]!.toLowerCase());
    expect(passed.length).toBeGreaterThan(10);
    for (const name of passed) expect(mainInputs, name).toContain(name);
    const drillInputs = new Set(drill.inputs?.map((input) => input.id));
    for (const [, name] of text.matchAll(/inputs\.([a-z0-9-]+)/g)) expect(drillInputs, name).toContain(name);
  });

  /** Every step of `workflow` that runs this repository's main or drill action, with its `with:` inputs. */
  function actionSteps(
    workflow: string,
  ): { action: 'main' | 'drill'; name: string; inputs: Record<string, unknown> }[] {
    const parsed = parse(workflow) as {
      jobs?: Record<
        string,
        { steps?: { uses?: string; name?: string; id?: string; with?: Record<string, unknown> }[] }
      >;
    };
    return Object.values(parsed.jobs ?? {}).flatMap((job) =>
      (job.steps ?? []).flatMap((step) => {
        const uses = step.uses ?? '';
        const action = /^\.\/drill\/?$|postgres-backup-action\/drill@/.test(uses)
          ? 'drill'
          : /^\.\/?$|postgres-backup-action@/.test(uses)
            ? 'main'
            : undefined;
        return action ? [{ action, name: step.id ?? step.name ?? uses, inputs: step.with ?? {} }] : [];
      }),
    );
  }

  it.each([
    ...readdirSync(join(root, 'workflows-examples'))
      .filter((name) => name.endsWith('.yml'))
      .map((name) => join('workflows-examples', name)),
    ...readdirSync(join(root, '.github', 'workflows'))
      .filter((name) => name.endsWith('.yml'))
      .map((name) => join('.github', 'workflows', name)),
  ])('%s passes only inputs the action declares, and every required one', async (path) => {
    const content = await readFile(join(root, path), 'utf8');
    const result = parseWorkflow({ name: path, content }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((error) => error.message)).toEqual([]);
    const actions = {
      main: await parsedAction('action.yml'),
      drill: await parsedAction('drill/action.yml'),
    };
    const steps = actionSteps(content);
    if (path.startsWith('workflows-examples') || path.endsWith('e2e.yml'))
      expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      const declared = actions[step.action].inputs ?? [];
      for (const input of Object.keys(step.inputs)) {
        expect(
          declared.map((entry) => entry.id),
          `${step.name}: ${input}`,
        ).toContain(input);
      }
      for (const required of declared.filter((entry) => entry.required && entry.default === undefined)) {
        expect(Object.keys(step.inputs), `${step.name} lacks ${required.id}`).toContain(required.id);
      }
    }
  });

  it.each(
    readdirSync(join(root, 'workflows-examples'))
      .filter((name) => name.endsWith('.yml'))
      .map((name) => join('workflows-examples', name)),
  )(
    '%s follows SECURITY.md: the identity only in a protected environment, read-only keys to read',
    async (path) => {
      const parsed = parse(await readFile(join(root, path), 'utf8')) as {
        jobs: Record<
          string,
          { environment?: unknown; steps?: { uses?: string; with?: Record<string, string> }[] }
        >;
      };
      for (const [name, job] of Object.entries(parsed.jobs)) {
        for (const step of job.steps ?? []) {
          const inputs = step.with ?? {};
          const identity = 'age-identity' in inputs;
          // The PR's own code runs beside the decrypted data: only after a reviewer let it.
          if (identity || 'migrate-command' in inputs)
            expect(job.environment, `${path} ${name}`).toBeDefined();
          // A drill or a restore reads: the delete-capable keys of the backup job have no place there.
          if (identity)
            expect(inputs['access-key-id'] ?? '', `${path} ${name}`).not.toMatch(/secrets\.S3_ACCESS_KEY_ID/);
        }
      }
    },
  );

  it('e2e.yml runs the main action in every mode and the drill both ways', async () => {
    const steps = actionSteps(await readFile(join(root, '.github', 'workflows', 'e2e.yml'), 'utf8'));
    const modes = steps.filter((step) => step.action === 'main').map((step) => step.inputs.mode ?? 'backup');
    expect(new Set(modes)).toEqual(new Set(['backup', 'restore', 'prune']));
    const drills = steps.filter((step) => step.action === 'drill');
    expect(drills.map((step) => 'target-url' in step.inputs)).toEqual([false, true]);
  });
});
