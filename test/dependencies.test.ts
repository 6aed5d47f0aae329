/**
 * package.json declares exactly what the code imports: the action's own imports (src/) as dependencies, the rest
 * (tests, bench, scripts, configs) as devDependencies, nothing that resolves only because another package pulls it
 * in, and nothing that nobody uses. Imports are read with TypeScript's own pre-processor, so dynamic `import()`
 * (the lazily loaded chunks) counts too.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { TEST_MAJORS } from './support/postgres-server.js';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The package each bare import of `files` names (`@scope/name` or `name`), with a file that imports it. */
function importedPackages(files: readonly string[]): Map<string, string> {
  const packages = new Map<string, string>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (fileName.startsWith('.') || fileName.startsWith('node:') || builtinModules.includes(fileName))
        continue;
      const name = fileName.startsWith('@')
        ? fileName.split('/').slice(0, 2).join('/')
        : fileName.split('/')[0]!;
      if (!packages.has(name)) packages.set(name, relative(root, file));
    }
  }
  return packages;
}

const action = importedPackages(sourceFiles(join(root, 'src')));
const development = importedPackages([
  ...['test', 'bench', 'scripts'].flatMap((dir) => sourceFiles(join(root, dir))),
  join(root, 'vitest.config.ts'),
  join(root, 'eslint.config.js'),
]);

/** Programs a devDependency provides, as package.json's scripts call them. */
function binsOf(name: string): string[] {
  const manifest = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
    bin?: string | Record<string, string>;
  };
  if (typeof manifest.bin === 'string') return [name.split('/').pop()!];
  return Object.keys(manifest.bin ?? {});
}

describe('package.json', () => {
  it('declares as dependencies exactly the packages the action imports', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual([...action.keys()].sort());
  });

  it('declares every package the tests, bench, scripts and configs import', () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)]);
    const undeclared = [...development].filter(([name]) => !declared.has(name));
    expect(undeclared.map(([name, file]) => `${name} (imported by ${file})`)).toEqual([]);
  });

  it('has no devDependency that nothing uses', () => {
    const scripts = Object.values(pkg.scripts).join('\n');
    const unused = Object.keys(pkg.devDependencies).filter((name) => {
      if (development.has(name) || action.has(name)) return false;
      // Types of a package that is imported (or of Node's own modules).
      const typed = /^@types\/(.+)$/.exec(name)?.[1];
      if (typed) return !(typed === 'node' || development.has(typed) || action.has(typed));
      // The PostgreSQL servers of the test bed, one alias per major, resolved as `pg-server-<major>`.
      const major = /^pg-server-(\d+)$/.exec(name)?.[1];
      if (major) return !TEST_MAJORS.includes(Number(major) as (typeof TEST_MAJORS)[number]);
      // A tool package.json's scripts run (ncc, eslint, prettier, tsc, tsx, vitest; node for the Actions runtime).
      return !binsOf(name).some((bin) => new RegExp(`(^|[\\s&|;(])${bin}(\\s|$)`, 'm').test(scripts));
    });
    expect(unused).toEqual([]);
  });

  it('would notice an import that is not declared', () => {
    const found = importedPackages([join(root, 'test', 'dependencies.test.ts')]);
    expect(found.get('typescript')).toBe('test/dependencies.test.ts');
  });
});
