import { existsSync } from 'node:fs';
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
