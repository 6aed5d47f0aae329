/**
 * One report comment per pull request: created on the first run, then updated in place on later pushes. The
 * comment carries a hidden HTML marker, which is how later runs find it again. Talks to GitHub's REST API with
 * @actions/http-client (Node's own HTTP stack, the runner's proxy settings; see installer/verified-download.ts for
 * why not `fetch`).
 */
import { readFile } from 'node:fs/promises';
import { HttpClient } from '@actions/http-client';

import { errorMessage } from '../shared/errors.js';
import { openFence } from '../shared/markdown.js';

/** GitHub refuses comment bodies longer than this. */
export const MAX_COMMENT_LENGTH = 65_536;

const DEFAULT_API_URL = 'https://api.github.com';
const REQUEST_TIMEOUT_MS = 30_000;
const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target']);
const TRUNCATION_NOTICE =
  '\n\n---\n**This report was truncated** to fit the 65,536-character limit of a GitHub comment; ' +
  'the job summary has the full report.';

export interface PullRequestRef {
  readonly owner: string;
  readonly repo: string;
  readonly number: number;
}

export interface CommentResult {
  readonly action: 'created' | 'updated';
  readonly id: number;
  readonly url: string;
}

export interface UpsertCommentOptions {
  /** A token allowed to write pull request (or issue) comments, such as GITHUB_TOKEN. */
  readonly token: string;
  readonly pr: PullRequestRef;
  /** A hidden HTML comment, such as `<!-- postgres-backup-action:migration-check -->`, that identifies the comment. */
  readonly marker: string;
  /** The comment's Markdown, without the marker. */
  readonly body: string;
  /** Defaults to GITHUB_API_URL, else https://api.github.com. */
  readonly apiUrl?: string;
}

/** A non-2xx answer from GitHub's REST API. */
export class GitHubApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'GitHubApiError';
  }
}

interface IssueComment {
  readonly id: number;
  readonly body?: string;
  readonly html_url: string;
  readonly user: { readonly login: string; readonly type: string } | null;
}

/**
 * The pull request this run belongs to, from GITHUB_EVENT_NAME (pull_request or pull_request_target),
 * GITHUB_EVENT_PATH (the event JSON: pull_request.number) and GITHUB_REPOSITORY (owner/repo); undefined otherwise.
 */
export async function currentPullRequest(
  env: NodeJS.ProcessEnv = process.env,
): Promise<PullRequestRef | undefined> {
  if (!PULL_REQUEST_EVENTS.has(env.GITHUB_EVENT_NAME ?? '')) return undefined;
  const repository = /^([^/]+)\/([^/]+)$/.exec(env.GITHUB_REPOSITORY ?? '');
  const eventPath = env.GITHUB_EVENT_PATH;
  if (!repository || !eventPath) return undefined;
  const number = await pullRequestNumber(eventPath);
  if (number === undefined) return undefined;
  return { owner: repository[1]!, repo: repository[2]!, number };
}

async function pullRequestNumber(eventPath: string): Promise<number | undefined> {
  let event: unknown;
  try {
    event = JSON.parse(await readFile(eventPath, 'utf8'));
  } catch (error) {
    throw new Error(`Could not read the workflow event file ${eventPath}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const number = (event as { pull_request?: { number?: unknown } } | null)?.pull_request?.number;
  return Number.isSafeInteger(number) && (number as number) > 0 ? (number as number) : undefined;
}

/** Creates or updates the one comment holding `marker`; its body is the marker, a newline, then `body`. */
export async function upsertPullRequestComment(options: UpsertCommentOptions): Promise<CommentResult> {
  const { token, pr, marker } = options;
  if (!/^<!--[\s\S]*\S[\s\S]*-->$/.test(marker)) {
    throw new Error(
      `The comment marker must be a non-empty HTML comment such as <!-- name -->, got '${marker}'`,
    );
  }
  const api = new GitHubApi(token, options.apiUrl || process.env.GITHUB_API_URL || DEFAULT_API_URL);
  const body = commentBody(marker, options.body);
  const issuePath = `/repos/${encodeURIComponent(pr.owner)}/${encodeURIComponent(pr.repo)}/issues`;
  const existing = await findMarkedComment(api, `${issuePath}/${pr.number}/comments?per_page=100`, marker);
  if (existing) {
    const updated = await api.request<IssueComment>('PATCH', `${issuePath}/comments/${existing.id}`, {
      body,
    });
    return { action: 'updated', id: updated.id, url: updated.html_url };
  }
  const created = await api.request<IssueComment>('POST', `${issuePath}/${pr.number}/comments`, { body });
  return { action: 'created', id: created.id, url: created.html_url };
}

/**
 * The comment this action wrote: one that starts with `marker` (a quote or a reply that merely holds it is not),
 * written by a bot account (the workflow's GITHUB_TOKEN and GitHub Apps post as bots), walking every page; the
 * oldest wins. Without one, a comment by the token's own user (a personal token: `GET /user` names it). Anyone can
 * post a comment that starts with the marker: one by somebody else is never edited.
 */
async function findMarkedComment(
  api: GitHubApi,
  firstPage: string,
  marker: string,
): Promise<IssueComment | undefined> {
  const candidates: IssueComment[] = [];
  for await (const comments of api.pages<IssueComment>(firstPage)) {
    for (const comment of comments) {
      if (!comment.body?.startsWith(`${marker}\n`) || !comment.user) continue;
      if (comment.user.type === 'Bot') return comment;
      candidates.push(comment);
    }
  }
  if (candidates.length === 0) return undefined;
  const self = await api.request<{ login?: string }>('GET', '/user').catch(() => undefined);
  return self?.login === undefined
    ? undefined
    : candidates.find((comment) => comment.user?.login === self.login);
}

/**
 * `marker + '\n' + markdown`, with the Markdown cut at a line end when the whole would exceed GitHub's limit, and
 * a code block the cut left open closed with its own fence.
 */
function commentBody(marker: string, markdown: string): string {
  const whole = `${marker}\n${markdown}`;
  if (whole.length <= MAX_COMMENT_LENGTH) return whole;
  const room = MAX_COMMENT_LENGTH - marker.length - 1 - TRUNCATION_NOTICE.length;
  const cut = (reserve: number) => {
    const kept = cutAtLineEnd(markdown, room - reserve);
    const fence = openFence(kept);
    return { kept, closing: fence ? `\n${fence}` : '' };
  };
  let { kept, closing } = cut(0);
  // The closing fence the first cut found needs room of its own.
  if (kept.length + closing.length > room) ({ kept, closing } = cut(closing.length));
  return `${marker}\n${kept}${closing}${TRUNCATION_NOTICE}`;
}

function cutAtLineEnd(text: string, maxLength: number): string {
  const cut = text.slice(0, maxLength);
  const lineEnd = cut.lastIndexOf('\n');
  if (lineEnd > 0) return cut.slice(0, lineEnd);
  // One enormous line: cut anywhere, but never between the two halves of a surrogate pair.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** The few REST calls this module needs, with GitHub's headers and errors that never show the token. */
class GitHubApi {
  private readonly baseUrl: string;
  private readonly origin: string;

  constructor(
    private readonly token: string,
    apiUrl: string,
  ) {
    this.baseUrl = apiUrl.replace(/\/+$/, '');
    this.origin = new URL(this.baseUrl).origin;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, `${this.baseUrl}${path}`, body);
    return JSON.parse(response.text) as T;
  }

  /** Every page of a list, following the `Link: <…>; rel="next"` header GitHub sends. */
  async *pages<T>(path: string): AsyncGenerator<T[]> {
    let url: string | undefined = `${this.baseUrl}${path}`;
    while (url) {
      const response = await this.send('GET', url);
      yield JSON.parse(response.text) as T[];
      url = this.nextPageUrl(response.link);
    }
  }

  private nextPageUrl(link: string | undefined): string | undefined {
    const next = link && /<([^>]+)>;\s*rel="next"/.exec(link)?.[1];
    if (!next) return undefined;
    // The token goes only where the API lives, whatever a Link header says.
    if (new URL(next).origin !== this.origin)
      throw new Error(`GitHub's next-page link left the API: ${next}`);
    return next;
  }

  private async send(method: string, url: string, body?: unknown): Promise<ApiResponse> {
    const { pathname, search } = new URL(url);
    const where = `${method} ${pathname}${search}`;
    const client = new HttpClient('postgres-backup-action', [], {
      socketTimeout: REQUEST_TIMEOUT_MS,
      allowRedirects: false,
    });
    let response: ApiResponse;
    try {
      const answer = await client.request(method, url, body === undefined ? null : JSON.stringify(body), {
        Authorization: `Bearer ${this.token}`,
        Accept: 'application/vnd.github+json',
        'X-GitHub-Api-Version': '2022-11-28',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      });
      const link = answer.message.headers.link;
      response = {
        status: answer.message.statusCode ?? 0,
        statusText: answer.message.statusMessage ?? '',
        link: Array.isArray(link) ? link.join(', ') : link,
        text: await answer.readBody(),
      };
    } catch (error) {
      throw new Error(this.redact(`GitHub API ${where} failed: ${networkReason(error)}`), { cause: error });
    }
    if (response.status < 200 || response.status > 299) {
      const message = `GitHub API ${where} answered ${response.status}: ${githubMessage(response)}`;
      throw new GitHubApiError(this.redact(message + permissionHint(response.status)), response.status);
    }
    return response;
  }

  private redact(message: string): string {
    return this.token ? message.replaceAll(this.token, '***') : message;
  }
}

interface ApiResponse {
  readonly status: number;
  readonly statusText: string;
  readonly link: string | undefined;
  readonly text: string;
}

function networkReason(error: unknown): string {
  const err = error as { code?: string; cause?: { code?: string; message?: string } };
  return err.code ?? err.cause?.code ?? err.cause?.message ?? errorMessage(error);
}

/** GitHub's `message` (with any validation details) from an error answer, else the start of its text. */
function githubMessage(response: ApiResponse): string {
  const { text } = response;
  try {
    const { message, errors } = JSON.parse(text) as { message?: string; errors?: { message?: string }[] };
    const details = (errors ?? []).map((e) => e.message).filter(Boolean);
    return [message ?? response.statusText, ...details].join('; ');
  } catch {
    return text.slice(0, 200) || response.statusText;
  }
}

function permissionHint(status: number): string {
  if (status !== 403 && status !== 404) return '';
  return (
    '. The token needs `pull-requests: write` (or `issues: write`) permission: add it under `permissions:` in ' +
    'the workflow. On pull requests from forks, GITHUB_TOKEN is read-only.'
  );
}
