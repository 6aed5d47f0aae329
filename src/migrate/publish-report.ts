import * as core from '@actions/core';
import { errorMessage } from '../shared/errors.js';
import { currentPullRequest, upsertPullRequestComment } from '../github/pr-comment.js';
import { writeJobSummary } from '../shared/job-summary.js';
import { scrubForPosting } from '../shared/posted-text.js';
import { REPORT_MARKER } from './migration-report.js';

/**
 * The report goes to the job summary, and with a token on a pull request also into the one PR comment this check
 * keeps (created the first time, updated on later pushes). Both are optional work: a failure only warns.
 */
export async function publishMigrationReport(
  markdown: string,
  githubToken: string | undefined,
): Promise<void> {
  // The migration's output and the schema text come from the restored production copy.
  const report = scrubForPosting(markdown);
  await writeJobSummary((summary) => summary.addRaw(report, true));
  if (!githubToken) return;
  const pr = await currentPullRequest();
  if (!pr) {
    core.info('Not a pull_request run: the migration report is in the job summary only.');
    return;
  }
  try {
    const comment = await upsertPullRequestComment({
      token: githubToken,
      pr,
      marker: REPORT_MARKER,
      body: report,
    });
    core.info(`Migration report ${comment.action} on pull request #${pr.number}: ${comment.url}`);
  } catch (error) {
    core.warning(
      `The migration report could not be posted on pull request #${pr.number}: ${errorMessage(error)}`,
    );
  }
}
