import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import {
  currentPullRequest,
  GitHubApiError,
  MAX_COMMENT_LENGTH,
  upsertPullRequestComment,
  type PullRequestRef,
} from '../src/github/pr-comment.js';
import { codeBlock, openFence } from '../src/shared/markdown.js';
import {
  BOT,
  FakeGitHub,
  HUMAN,
  READ_ONLY_TOKEN,
  PERSONAL_TOKEN,
  WRITE_TOKEN,
} from './support/github-api.js';

const MARKER = '<!-- postgres-backup-action:migration-check -->';

const github = new FakeGitHub();
let pr: PullRequestRef;
let prNumber = 1;

beforeAll(() => github.start());
afterAll(() => github.stop());
beforeEach(() => {
  pr = { owner: 'acme', repo: 'shop', number: prNumber++ };
  github.requests.length = 0;
});

function upsert(body: string, token = WRITE_TOKEN) {
  return upsertPullRequestComment({ token, pr, marker: MARKER, body, apiUrl: github.url });
}

describe('upsertPullRequestComment', () => {
  it('creates the comment on the first run and updates the same one later', async () => {
    const first = await upsert('## Migration check\n\nAll good.');
    expect(first).toEqual({
      action: 'created',
      id: expect.any(Number) as number,
      url: `https://github.com/acme/shop/pull/${pr.number}#issuecomment-${first.id}`,
    });
    expect(github.comments(pr).map((c) => c.body)).toEqual([`${MARKER}\n## Migration check\n\nAll good.`]);

    const second = await upsert('## Migration check\n\nOne table rewrite.');
    expect(second).toMatchObject({ action: 'updated', id: first.id, url: first.url });
    expect(github.comments(pr)).toHaveLength(1);
    expect(github.comments(pr)[0]!.body).toBe(`${MARKER}\n## Migration check\n\nOne table rewrite.`);
    expect(github.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /repos/acme/shop/issues/${pr.number}/comments?per_page=100`,
      `POST /repos/acme/shop/issues/${pr.number}/comments`,
      `GET /repos/acme/shop/issues/${pr.number}/comments?per_page=100`,
      `PATCH /repos/acme/shop/issues/comments/${first.id}`,
    ]);
    for (const { headers } of github.requests) {
      expect(headers).toMatchObject({
        authorization: `Bearer ${WRITE_TOKEN}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'postgres-backup-action',
      });
    }
  });

  it("finds its comment on page 2, past 150 others and a person's reply quoting the marker", async () => {
    const quote = github.add(pr, `> ${MARKER}\n> ## Migration check\n\nWhy does this fail?`, HUMAN);
    for (let i = 0; i < 150; i++) github.add(pr, `comment ${i}`, i % 2 ? HUMAN : BOT);
    const own = github.add(pr, `${MARKER}\nold report`, BOT);

    const result = await upsert('new report');

    expect(result).toMatchObject({ action: 'updated', id: own.id });
    expect(github.comments(pr)).toHaveLength(152);
    expect(own.body).toBe(`${MARKER}\nnew report`);
    expect(quote.body).toContain('Why does this fail?');
    const pages = github.requests.filter((r) => r.method === 'GET').map((r) => r.url);
    expect(pages).toEqual([
      `/repos/acme/shop/issues/${pr.number}/comments?per_page=100`,
      expect.stringMatching(
        new RegExp(`^/repositories/\\d+/issues/${pr.number}/comments\\?per_page=100&page=2$`),
      ),
    ]);
  });

  it("never edits somebody else's comment that starts with the marker, and creates its own", async () => {
    const planted = github.add(pr, `${MARKER}\nlooks like the report, written by a person`, HUMAN);

    const result = await upsert('report');

    expect(result.action).toBe('created');
    expect(planted.body).toBe(`${MARKER}\nlooks like the report, written by a person`);
    expect(github.comments(pr).map((c) => c.user.type)).toEqual(['User', 'Bot']);
    // GITHUB_TOKEN cannot say who it is (403): the bot's comments are ours.
    expect(github.requests.map((r) => `${r.method} ${r.url}`)).toContain('GET /user');
    const again = await upsert('report 2');
    expect(again).toMatchObject({ action: 'updated', id: result.id });
  });

  it("with a personal token, updates that user's own comment only", async () => {
    const other = github.add(pr, `${MARKER}\nby someone else`, { login: 'mallory', type: 'User' });
    const first = await upsert('report', PERSONAL_TOKEN);
    expect(first.action).toBe('created');
    const second = await upsert('report 2', PERSONAL_TOKEN);
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    expect(other.body).toBe(`${MARKER}\nby someone else`);
  });

  it('creates a new comment after walking every page when none holds the marker', async () => {
    for (let i = 0; i < 250; i++) github.add(pr, `comment ${i}`, HUMAN);

    const result = await upsert('report');

    expect(result.action).toBe('created');
    expect(github.comments(pr)).toHaveLength(251);
    expect(github.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
  });

  it('falls back to GITHUB_API_URL when no apiUrl is given', async () => {
    vi.stubEnv('GITHUB_API_URL', `${github.url}/`);
    try {
      const result = await upsertPullRequestComment({
        token: WRITE_TOKEN,
        pr,
        marker: MARKER,
        body: 'report',
      });
      expect(result.action).toBe('created');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("truncates a report over GitHub's 65,536-character limit, keeping the marker and the beginning", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `| table_${i} | rewrite | ACCESS EXCLUSIVE |`);
    const markdown = `## Migration check\n\n${lines.join('\n')}`;
    expect(markdown.length).toBeGreaterThan(MAX_COMMENT_LENGTH);

    await upsert(markdown);

    const body = github.comments(pr)[0]!.body;
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(body.startsWith(`${MARKER}\n## Migration check\n\n| table_0 |`)).toBe(true);
    const [kept, notice] = body.split('\n\n---\n');
    expect(markdown.startsWith(kept!.slice(MARKER.length + 1))).toBe(true);
    expect(kept).toMatch(/\| ACCESS EXCLUSIVE \|$/);
    expect(notice).toMatch(/truncated.*job summary has the full report/);
  });

  it('closes a code block that the truncation cut open', async () => {
    const sql = Array.from({ length: 5000 }, (_, i) => `ALTER TABLE t${i} ADD COLUMN c int;`).join('\n');
    await upsert(`## Migration check\n\n\`\`\`sql\n${sql}\n\`\`\``);

    const body = github.comments(pr)[0]!.body;
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(body).toMatch(/;\n```\n\n---\n\*\*This report was truncated\*\*/);
  });

  it('explains a 403 with the permission the token needs, never showing the token', async () => {
    const error = await upsert('report', READ_ONLY_TOKEN).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error).toMatchObject({ status: 403 });
    const { message } = error as GitHubApiError;
    expect(message).toContain(`POST /repos/acme/shop/issues/${pr.number}/comments answered 403`);
    expect(message).toContain('Resource not accessible by integration');
    expect(message).toContain('pull-requests: write');
    expect(message).not.toContain(READ_ONLY_TOKEN);
    expect(github.comments(pr)).toHaveLength(0);
  });

  it('reports bad credentials without the token', async () => {
    const error = await upsert('report', 'ghs_wrongToken').catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 401 });
    const { message } = error as GitHubApiError;
    expect(message).toContain(
      `GET /repos/acme/shop/issues/${pr.number}/comments?per_page=100 answered 401: Bad credentials`,
    );
    expect(message).not.toContain('ghs_wrongToken');
    expect(message).not.toContain('permission');
  });

  it('refuses a marker that is not an HTML comment', async () => {
    await expect(upsertPullRequestComment({ token: WRITE_TOKEN, pr, marker: '', body: 'x' })).rejects.toThrow(
      /marker must be a non-empty HTML comment/,
    );
    expect(github.requests).toHaveLength(0);
  });
});

describe('currentPullRequest', () => {
  let directory: string;
  let eventPath: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'pr-comment-'));
    eventPath = join(directory, 'event.json');
    await writeFile(
      eventPath,
      JSON.stringify({ action: 'synchronize', number: 42, pull_request: { number: 42 } }),
    );
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));
  afterEach(() => vi.unstubAllEnvs());

  const env = (eventName: string) => ({
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: 'acme/shop',
  });

  it('reads the pull request from a pull_request or pull_request_target event', async () => {
    expect(await currentPullRequest(env('pull_request'))).toEqual({
      owner: 'acme',
      repo: 'shop',
      number: 42,
    });
    expect(await currentPullRequest(env('pull_request_target'))).toEqual({
      owner: 'acme',
      repo: 'shop',
      number: 42,
    });
  });

  it('reads process.env by default', async () => {
    for (const [name, value] of Object.entries(env('pull_request'))) vi.stubEnv(name, value);
    expect(await currentPullRequest()).toEqual({ owner: 'acme', repo: 'shop', number: 42 });
  });

  it('returns undefined for a push event or without a repository', async () => {
    expect(await currentPullRequest(env('push'))).toBeUndefined();
    expect(await currentPullRequest({ ...env('pull_request'), GITHUB_REPOSITORY: '' })).toBeUndefined();
  });

  it('says which event file it could not read', async () => {
    const missing = join(directory, 'missing.json');
    await expect(currentPullRequest({ ...env('pull_request'), GITHUB_EVENT_PATH: missing })).rejects.toThrow(
      `Could not read the workflow event file ${missing}`,
    );
  });
});

describe('codeBlock', () => {
  it('cannot be closed from inside: output with four backticks stays text, links and mentions included', () => {
    const output = 'done\n````\n[click](https://evil.example) @org/team <img src=x>\n```\nstill output';
    const block = codeBlock(output, 'text');
    expect(block.startsWith('`````text\n')).toBe(true);
    // Every line of the output is inside the block: the fence opened before it is still open after it.
    expect(openFence(block.slice(0, -'\n`````'.length))).toBe('`````');
    expect(openFence(block)).toBeUndefined();
    expect(codeBlock('plain')).toBe('```\nplain\n```');
  });

  it('reads fences as CommonMark does: a shorter one, or one with text after it, does not close', () => {
    expect(openFence('````\n```\n')).toBe('````');
    expect(openFence('```\n``` not a close\n')).toBe('```');
    expect(openFence('~~~\n```\n~~~\n')).toBeUndefined();
    expect(openFence('   ```sql\nselect 1\n')).toBe('```');
  });
});
