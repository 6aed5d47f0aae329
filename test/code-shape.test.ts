/**
 * The shape docs/architecture.md describes, read from src/ with TypeScript's own parser: imports point one way
 * (entry → modes → inputs → domains → shared), the domains import each other without a cycle, no function is
 * longer than 60 lines, and a file longer than 300 says at its top why it is.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', 'src');
const MAX_FUNCTION_LINES = 60;
const MAX_FILE_LINES = 300;
const LONG_ON_PURPOSE = /longer than the project's 300 lines on purpose/i;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

interface SourceFile {
  readonly path: string;
  /** Relative to src/. */
  readonly name: string;
  readonly text: string;
}

const files: SourceFile[] = sourceFiles(src).map((path) => ({
  path,
  name: relative(src, path),
  text: readFileSync(path, 'utf8'),
}));

/** The folder of a file below src/, or its own name for the files at the top (index, main, inputs, gc-tuning). */
function unitOf(name: string): string {
  return name.includes('/') ? name.split('/')[0]! : name.replace(/\.[jt]s$/, '');
}

const ENTRY = new Set(['index', 'main', 'gc-tuning']);
const DOMAIN = 1;
/** Higher imports lower; the domains share one rank and import each other only without a cycle. */
function rankOf(unit: string): number {
  if (ENTRY.has(unit)) return 4;
  if (unit === 'modes') return 3;
  if (unit === 'inputs') return 2;
  if (unit === 'shared') return 0;
  return DOMAIN;
}

interface Crossing {
  readonly file: string;
  readonly from: string;
  readonly to: string;
}

/** Every import from one unit into another. */
function crossingsOf(sources: readonly SourceFile[]): Crossing[] {
  return sources.flatMap(({ path, name, text }) =>
    ts
      .preProcessFile(text, true, true)
      .importedFiles.filter(({ fileName }) => fileName.startsWith('.'))
      .map(({ fileName }) => ({
        file: name,
        from: unitOf(name),
        to: unitOf(relative(src, normalize(join(dirname(path), fileName)))),
      }))
      .filter(({ from, to }) => from !== to),
  );
}

/** Imports that point up the layers, or from shared/ anywhere else. */
function wrongWay(crossings: readonly Crossing[]): string[] {
  return crossings
    .filter(({ from, to }) => rankOf(to) > rankOf(from) || (from === 'shared' && to !== 'shared'))
    .map(({ file, to }) => `${file} imports ${to}`);
}

/** Cycles among the domains, each as `a → b → a`. */
function domainCycles(crossings: readonly Crossing[]): string[] {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of crossings) {
    if (rankOf(from) === DOMAIN && rankOf(to) === DOMAIN)
      graph.set(from, (graph.get(from) ?? new Set()).add(to));
  }
  const cycles = new Set<string>();
  const visit = (unit: string, path: readonly string[]) => {
    if (path.includes(unit)) {
      const loop = path.slice(path.indexOf(unit));
      const first = loop.indexOf([...loop].sort()[0]!);
      cycles.add([...loop.slice(first), ...loop.slice(0, first), loop[first]].join(' → '));
      return;
    }
    for (const next of graph.get(unit) ?? []) visit(next, [...path, unit]);
  };
  for (const unit of graph.keys()) visit(unit, []);
  return [...cycles];
}

/** Functions (declarations, methods, arrows, accessors) longer than MAX_FUNCTION_LINES, as `file:line name (n)`. */
function longFunctions(sources: readonly SourceFile[]): string[] {
  const long: string[] = [];
  for (const { path, name, text } of sources) {
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const first = lineOf(node.getStart(source));
        const lines = lineOf(node.end) - first + 1;
        const called = node.name?.getText(source) ?? 'a function';
        if (lines > MAX_FUNCTION_LINES) long.push(`${name}:${first} ${called} (${lines} lines)`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return long;
}

/** Files longer than MAX_FILE_LINES whose first doc comment does not say they are so on purpose. */
function longFiles(sources: readonly SourceFile[]): string[] {
  return sources
    .filter(({ text }) => {
      if (text.split('\n').length <= MAX_FILE_LINES) return false;
      const top = /^\s*\/\*\*[\s\S]*?\*\//.exec(text)?.[0] ?? '';
      return !LONG_ON_PURPOSE.test(top);
    })
    .map(({ name, text }) => `${name} (${text.split('\n').length} lines)`);
}

describe('the layout of src/', () => {
  const crossings = crossingsOf(files);

  it('imports only downwards: entry → modes → inputs → domains → shared', () => {
    expect(wrongWay(crossings)).toEqual([]);
  });

  it('has no cycle among the domains', () => {
    expect(domainCycles(crossings)).toEqual([]);
  });

  it(`has no function longer than ${MAX_FUNCTION_LINES} lines`, () => {
    expect(longFunctions(files)).toEqual([]);
  });

  it(`has no file longer than ${MAX_FILE_LINES} lines that does not say at its top why`, () => {
    expect(longFiles(files)).toEqual([]);
  });
});

describe('the layout checks, on made-up files', () => {
  const made = (name: string, text: string): SourceFile => ({ path: join(src, name), name, text });

  it('name an import that points up, out of shared/, or round the domains', () => {
    const crossings = crossingsOf([
      made('backup/a.ts', "import { loadInputs } from '../inputs.js';\nimport { b } from '../restore/b.js';"),
      made('restore/b.ts', "import { a } from '../backup/a.js';"),
      made('shared/c.ts', "import { d } from '../storage/d.js';"),
      made('modes/e.ts', "import { f } from '../inputs.js';\nimport { g } from '../shared/g.js';"),
    ]);
    expect(wrongWay(crossings)).toEqual(['backup/a.ts imports inputs', 'shared/c.ts imports storage']);
    expect(domainCycles(crossings)).toEqual(['backup → restore → backup']);
  });

  it('name a long function and a long file without its reason, and pass one with it', () => {
    const body = Array.from(
      { length: MAX_FUNCTION_LINES - 1 },
      (_, index) => `  const v${index} = ${index};`,
    );
    const long = `/** A module. */\nexport function tooLong(): void {\n${body.join('\n')}\n}\n`;
    const fits = `/** A module. */\nexport const fits = (): void => {\n${body.slice(1).join('\n')}\n};\n`;
    expect(longFunctions([made('a.ts', long), made('b.ts', fits)])).toEqual([
      `a.ts:2 tooLong (${MAX_FUNCTION_LINES + 1} lines)`,
    ]);
    const lines = Array.from({ length: MAX_FILE_LINES }, (_, index) => `export const v${index} = ${index};`);
    const said = `/**\n * Longer than the project's 300 lines on purpose: one table.\n */\n${lines.join('\n')}`;
    expect(
      longFiles([made('long.ts', `/** A module. */\n${lines.join('\n')}`), made('said.ts', said)]),
    ).toEqual([`long.ts (${MAX_FILE_LINES + 1} lines)`]);
  });
});
