import { existsSync, readdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { convertActionTemplate, parseAction } from '@actions/workflow-parser/actions/index';
import { describe, expect, it } from 'vitest';
import { Input, Output } from '../src/constants.js';

const root = join(import.meta.dirname, '..');

async function workflowFiles(): Promise<string[]> {
  const dir = join(root, '.github', 'workflows');
  return (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).map((name) => join(dir, name));
}

describe('workflows, parsed by GitHub’s own parser', () => {
  it('has a CI and a check-dist workflow', async () => {
    const names = (await workflowFiles()).map((file) => file.split('/').pop());
    expect(names).toEqual(expect.arrayContaining(['ci.yml', 'check-dist.yml']));
  });

  it.each([['ci.yml'], ['check-dist.yml']])('%s is a valid workflow', async (name) => {
    const content = await readFile(join(root, '.github', 'workflows', name), 'utf8');
    const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((error) => error.message)).toEqual([]);
    expect(result.value).toBeDefined();
  });

  it('would catch a broken workflow', () => {
    const content = 'on: push\njobs:\n  test:\n    steps: []\n    runs-on: ubuntu-latest\n    timeout: 5\n';
    const result = parseWorkflow({ name: 'broken.yml', content }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().length).toBeGreaterThan(0);
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

  it.each(readdirSync(join(root, 'workflows-examples')).filter((name) => name.endsWith('.yml')))(
    '%s parses and uses only declared inputs',
    async (name) => {
      const content = await readFile(join(root, 'workflows-examples', name), 'utf8');
      const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
      expect(result.context.errors.getErrors().map((error) => error.message)).toEqual([]);
      const declared = {
        main: new Set((await parsedAction('action.yml')).inputs?.map((input) => input.id)),
        drill: new Set((await parsedAction('drill/action.yml')).inputs?.map((input) => input.id)),
      };
      const uses = [
        ...content.matchAll(
          /uses: \S*postgres-backup-action(\/drill)?@\S+\n((?:\s+(?:with:|[a-z0-9-]+:.*)\n)+)/g,
        ),
      ];
      expect(uses.length).toBeGreaterThan(0);
      for (const [, drill, block] of uses) {
        const inputs = [...block!.matchAll(/^\s+([a-z0-9-]+):/gm)]
          .map((m) => m[1]!)
          .filter((key) => key !== 'with');
        for (const input of inputs) expect(drill ? declared.drill : declared.main, input).toContain(input);
      }
    },
  );
});

describe('README reference tables', () => {
  /** The rows of the markdown table under `heading`: first cell (the `name`) → second cell. */
  async function readmeTable(heading: string): Promise<Map<string, string>> {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const start = readme.indexOf(`\n${heading}\n`);
    expect(start, heading).toBeGreaterThan(0);
    const rows = new Map<string, string>();
    for (const line of readme.slice(start + heading.length + 2).split('\n')) {
      if (line.startsWith('#')) break;
      const cells = /^\|\s*`([a-z0-9-]+)`\s*\|([^|]*)\|/.exec(line);
      if (cells) rows.set(cells[1]!, cells[2]!.trim().replace(/^`|`$/g, ''));
    }
    return rows;
  }

  it.each([
    ['action.yml', '### Inputs of `action.yml`', '### Outputs of `action.yml`'],
    ['drill/action.yml', '### Inputs of `drill/action.yml`', '### Outputs of `drill/action.yml`'],
  ])('%s: every input with its default, and every output', async (path, inputsHeading, outputsHeading) => {
    const content = await readFile(join(root, path), 'utf8');
    const parsed = parseAction({ name: path, content }, new NoOperationTraceWriter());
    const template = convertActionTemplate(parsed.context, parsed.value!);
    const inputs = await readmeTable(inputsHeading);
    expect([...inputs.keys()].sort()).toEqual(template.inputs!.map((input) => input.id).sort());
    for (const input of template.inputs!) {
      expect(inputs.get(input.id), input.id).toBe(input.default?.toString() ?? '');
    }
    const outputs = await readmeTable(outputsHeading);
    expect([...outputs.keys()].sort()).toEqual(template.outputs!.map((output) => output.id).sort());
  });
});
