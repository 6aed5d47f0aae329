import { expect } from 'vitest';
import type { ActionResult } from './action-run.js';
import { withoutMaskCommands } from './capture.js';

/**
 * No secret, raw or percent-encoded, in anything the action printed (stdout, stderr), wrote (outputs, PATH,
 * summary), stored (manifests and other texts given) or put on a child's command line.
 */
export function expectNoSecrets(
  result: ActionResult,
  secrets: readonly string[],
  stored: readonly string[] = [],
): void {
  const places: [string, string][] = [
    ['stdout', withoutMaskCommands(result.stdout)],
    ['stderr', result.stderr],
    ['GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY', result.files],
    ['child argv', result.childArgv.join('\n')],
    ...stored.map((text, i): [string, string] => [`stored text ${i + 1}`, text]),
  ];
  for (const secret of secrets.filter(Boolean).flatMap((s) => [s, encodeURIComponent(s)])) {
    for (const [where, text] of places) expect(text, `a secret in ${where}`).not.toContain(secret);
  }
}
