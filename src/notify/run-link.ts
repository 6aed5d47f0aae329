/** The workflow run's page, when the GitHub Actions variables are set: every notification links to it. */
export function runUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = env;
  if (!server || !repository || !runId) return undefined;
  return `${server}/${repository}/actions/runs/${runId}`;
}
