import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { NoOperationTraceWriter } from '@actions/workflow-parser';
import { convertActionTemplate, parseAction } from '@actions/workflow-parser/actions/index';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('reference tables in docs/inputs.md', () => {
  /** The rows of the markdown table under `heading`: first cell (the `name`) → second cell. */
  async function referenceTable(heading: string): Promise<Map<string, string>> {
    const page = await readFile(join(root, 'docs', 'inputs.md'), 'utf8');
    const start = page.indexOf(`\n${heading}\n`);
    expect(start, heading).toBeGreaterThan(0);
    const rows = new Map<string, string>();
    for (const line of page.slice(start + heading.length + 2).split('\n')) {
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
    const inputs = await referenceTable(inputsHeading);
    expect([...inputs.keys()].sort()).toEqual(template.inputs!.map((input) => input.id).sort());
    for (const input of template.inputs!) {
      expect(inputs.get(input.id), input.id).toBe(input.default?.toString() ?? '');
    }
    const outputs = await referenceTable(outputsHeading);
    expect([...outputs.keys()].sort()).toEqual(template.outputs!.map((output) => output.id).sort());
  });
});

describe('README.md', () => {
  const MAX_README_BYTES = 15 * 1024;

  it(`is at most ${MAX_README_BYTES} bytes: the rest lives in docs/`, () => {
    expect(statSync(join(root, 'README.md')).size).toBeLessThanOrEqual(MAX_README_BYTES);
  });

  it('states the test command that .ci/run runs', async () => {
    const [readme, ci] = await Promise.all([
      readFile(join(root, 'README.md'), 'utf8'),
      readFile(join(root, '.ci', 'run'), 'utf8'),
    ]);
    expect(ci).toMatch(/^npm ci$/m);
    expect(ci).toMatch(/^npm test$/m);
    expect(readme).toContain('npm ci && npm test');
  });
});

/**
 * The targets of the markdown links in `text`: inline links and images (`[text](target "title")`) and reference
 * definitions (`[label]: target`), outside fenced code blocks and code spans.
 */
function linkTargets(text: string): string[] {
  const prose = text
    .replace(/^[ \t]*(```|~~~)[^\n]*\n[\s\S]*?^[ \t]*\1[^\n]*$/gm, '')
    .replace(/`[^`\n]*`/g, '');
  const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1]!);
  const definitions = [...prose.matchAll(/^ {0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map(
    (match) => match[1]!,
  );
  return [...inline, ...definitions];
}

/** The repository file a relative link in `file` points at, or undefined for a URL, a mail address or an anchor. */
function linkedPath(file: string, target: string): string | undefined {
  if (/^(https?:|mailto:)/i.test(target)) return undefined;
  const path = decodeURIComponent(target.replace(/[#?].*$/, ''));
  if (!path) return undefined;
  return resolve(dirname(file), path);
}

describe('relative links in the documentation', () => {
  const pages = [
    'README.md',
    'SECURITY.md',
    'CHANGELOG.md',
    join('drill', 'README.md'),
    ...readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => join('docs', name)),
  ].filter((page) => existsSync(join(root, page)));

  it('finds the pages and their links', () => {
    expect(pages).toEqual(
      expect.arrayContaining(['README.md', join('drill', 'README.md'), join('docs', 'inputs.md')]),
    );
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(linkTargets(readme).filter((target) => target.startsWith('docs/')).length).toBeGreaterThan(10);
  });

  it('would catch a broken link, and ignores URLs, anchors and code', () => {
    const file = join(root, 'docs', 'example.md');
    const text = [
      'See [inputs](inputs.md#inputs-of-actionyml), [a gone page](gone.md "title") and ![image](../img.png).',
      '[ref]: ../README.md',
      'Also [a URL](https://example.com/x.md), [mail](mailto:someone@example.com) and [here](#top).',
      '`[not a link](code-span.md)`',
      '```md',
      '[not a link](fenced.md)',
      '```',
      '1. A step:',
      '   ```yaml',
      '   run: echo [not a link](indented-fence.md)',
      '   ```',
    ].join('\n');
    const paths = linkTargets(text)
      .map((target) => linkedPath(file, target))
      .filter((path) => path !== undefined)
      .map((path) => relative(root, path));
    expect(paths.sort()).toEqual([
      'README.md',
      join('docs', 'gone.md'),
      join('docs', 'inputs.md'),
      'img.png',
    ]);
  });

  it.each(pages)('%s: every relative link points at a file in the repository', async (page) => {
    const file = join(root, page);
    const text = await readFile(file, 'utf8');
    const broken: string[] = [];
    for (const target of linkTargets(text)) {
      const path = linkedPath(file, target);
      if (path === undefined) continue;
      const inside = path === root || path.startsWith(root + sep);
      if (!inside || !existsSync(path)) broken.push(target);
    }
    expect(broken).toEqual([]);
  });
});

describe('docs/contract.md', () => {
  const contract = join(root, 'docs', 'contract.md');
  const shared = join(root, '..', 'shared', 'CONTRACT.md');

  it('exists, with the additions this project made', async () => {
    expect(existsSync(contract)).toBe(true);
    const text = await readFile(contract, 'utf8');
    expect(text).toContain('\n## Additions since the first contract\n');
    expect(text).toContain('`age-recipients: none`');
  });

  const sharedHere = existsSync(shared);

  // Contributors and users have no ../shared: the check runs where it exists (CI, the project's own checkout).
  it.skipIf(!sharedHere)(
    sharedHere
      ? 'holds ../shared/CONTRACT.md verbatim'
      : 'holds ../shared/CONTRACT.md verbatim: skipped, there is no ../shared/CONTRACT.md beside the repository',
    async () => {
      const [copy, original] = await Promise.all([readFile(contract, 'utf8'), readFile(shared, 'utf8')]);
      expect(original.length).toBeGreaterThan(1000);
      expect(
        copy.includes(original),
        'docs/contract.md must contain ../shared/CONTRACT.md byte for byte',
      ).toBe(true);
    },
  );
});
