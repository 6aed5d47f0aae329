import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkPackageVersion,
  checkVersion,
  ReleaseNotesError,
  releaseNotes,
  releaseNotesOfRepository,
} from '../scripts/release-notes.js';

const root = join(import.meta.dirname, '..');
const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');
const packageVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
  .version;

describe('release notes from the real CHANGELOG.md', () => {
  it('finds the 0.2.0 section, without its heading or the link references', () => {
    const notes = releaseNotes(changelog, '0.2.0');
    expect(notes).toMatch(/^First release\./);
    expect(notes).toContain('### Added');
    expect(notes).not.toContain('## [0.2.0]');
    expect(notes).not.toContain('[0.2.0]: https://');
    expect(notes).not.toContain('Nothing yet.');
  });

  it("has a non-empty section for package.json's version", () => {
    expect(releaseNotes(changelog, packageVersion).length).toBeGreaterThan(0);
    expect(() => {
      releaseNotesOfRepository(root, packageVersion);
    }).not.toThrow();
  });

  it('keeps an Unreleased section, which is not a version', () => {
    expect(changelog).toMatch(/^## \[Unreleased\]$/m);
    expect(() => releaseNotes(changelog, 'Unreleased')).toThrow(/not a release version/);
  });

  it('refuses a version it has no section for', () => {
    expect(() => releaseNotes(changelog, '9.9.9')).toThrow(/no section for 9\.9\.9/);
  });

  it('has link references for Unreleased and every release', () => {
    expect(changelog).toMatch(/^\[Unreleased\]: https:\/\/github\.com\/.+\/compare\/v.+\.\.\.HEAD$/m);
    for (const [, version] of changelog.matchAll(/^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$/gm)) {
      expect(changelog).toContain(`[${version!}]: https://github.com/`);
    }
  });
});

describe('versions', () => {
  it.each(['0.2.0', '1.0.0', '10.20.30'])('accepts %s', (version) => {
    expect(() => {
      checkVersion(version);
    }).not.toThrow();
  });

  it.each(['v0.2.0', '0.2', '0.2.0.1', '0.2.0-rc.1', '0.2.0+build', '01.2.0', '', ' 0.2.0', '0.2.0\n'])(
    'refuses %j',
    (version) => {
      expect(() => releaseNotes(changelog, version)).toThrow(ReleaseNotesError);
    },
  );

  it('says to drop the leading v', () => {
    expect(() => {
      checkVersion('v0.2.0');
    }).toThrow(/without the leading v/);
  });

  it("refuses a package.json or TOOL_VERSION that is not the release's version, saying what to bump", () => {
    expect(() => {
      checkPackageVersion('{"version":"0.2.0"}', '0.2.0', "export const TOOL_VERSION = '0.2.0';");
    }).not.toThrow();
    expect(() => {
      checkPackageVersion('{"version":"0.2.0"}', '0.3.0');
    }).toThrow(/package\.json's version is "0\.2\.0".*TOOL_VERSION in src\/shared\/constants\.ts/);
    expect(() => {
      checkPackageVersion('{"version":"0.3.0"}', '0.3.0', "export const TOOL_VERSION = '0.2.0';");
    }).toThrow(/TOOL_VERSION is '0\.2\.0'/);
  });
});

describe('sections of small changelogs', () => {
  const text = [
    '# Changelog',
    '',
    '## [Unreleased]',
    '',
    '### Added',
    '',
    '- Something new.',
    '',
    '## [1.1.0] - 2027-01-05',
    '',
    '### Fixed',
    '',
    '- A fix.',
    '',
    '```sh',
    '## not a heading inside a code block',
    '```',
    '',
    '## [1.0.10] - 2026-12-30',
    '',
    '- Ten.',
    '',
    '## [1.0.1] - 2026-12-20',
    '',
    '- One.',
    '',
    '## [1.0.0] - 2026-12-10',
    '',
    '',
    '## [0.9.0] - 2026-12-01',
    '',
    '- Last before the link references.',
    '',
    '[Unreleased]: https://github.com/o/r/compare/v1.1.0...HEAD',
    '[1.1.0]: https://github.com/o/r/compare/v1.0.10...v1.1.0',
    '',
  ].join('\n');

  it('ends a section at the next ## heading, not at one inside a code block', () => {
    expect(releaseNotes(text, '1.1.0')).toBe(
      '### Fixed\n\n- A fix.\n\n```sh\n## not a heading inside a code block\n```',
    );
  });

  it('matches the whole version, not a prefix of another', () => {
    expect(releaseNotes(text, '1.0.1')).toBe('- One.');
    expect(releaseNotes(text, '1.0.10')).toBe('- Ten.');
  });

  it('ends the last section at the link references', () => {
    expect(releaseNotes(text, '0.9.0')).toBe('- Last before the link references.');
  });

  it('refuses an empty section', () => {
    expect(() => releaseNotes(text, '1.0.0')).toThrow(/section of CHANGELOG\.md is empty/);
  });

  it('reads CRLF line endings', () => {
    expect(releaseNotes(text.replace(/\n/g, '\r\n'), '1.0.1')).toBe('- One.');
  });

  it('refuses a changelog without the version', () => {
    expect(() => releaseNotes(text, '2.0.0')).toThrow(/no section for 2\.0\.0/);
  });
});

describe('node scripts/release-notes.js', () => {
  const script = join(root, 'scripts', 'release-notes.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

  it("prints the section of package.json's version", () => {
    const result = run(packageVersion);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${releaseNotes(changelog, packageVersion)}\n`);
  });

  it('fails with the reason on stderr and nothing on stdout', () => {
    for (const version of ['v0.2.0', '9.9.9']) {
      const result = run(version);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^release-notes: /);
    }
    expect(run().status).toBe(2);
  });
});
