import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PullRequestRef } from '../../src/github/pr-comment.js';

export const WRITE_TOKEN = 'ghs_writeTokenThatMustNeverLeak0123';
export const READ_ONLY_TOKEN = 'ghs_readOnlyTokenThatMustNeverLeak4567';
/** A personal access token of `HUMAN`: its comments are a user's, and `GET /user` names it. */
export const PERSONAL_TOKEN = 'ghp_personalTokenThatMustNeverLeak89ab';
export const BOT = { login: 'github-actions[bot]', type: 'Bot' };
export const HUMAN = { login: 'octocat', type: 'User' };

export interface StoredComment {
  id: number;
  body: string;
  html_url: string;
  user: { login: string; type: string };
}

interface LoggedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

/**
 * Answers as GitHub's REST API does for issue comments: comments stored in memory per issue, GET pages with
 * `per_page`/`page` and a `Link` header whose URLs use GitHub's `/repositories/{id}/…` form, POST 201, PATCH 200,
 * 401 for a missing or wrong token, 403 when the token may only read, 404 for unknown ids, 422 for a body too long.
 */
export class FakeGitHub {
  readonly requests: LoggedRequest[] = [];
  private readonly issues = new Map<string, StoredComment[]>();
  private readonly repositoryIds = new Map<string, number>();
  private nextId = 1000;
  private readonly server: Server = createServer((request, response) => {
    void this.handle(request, response);
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  comments(pr: PullRequestRef): StoredComment[] {
    const key = `${pr.owner}/${pr.repo}#${pr.number}`;
    let list = this.issues.get(key);
    if (!list) this.issues.set(key, (list = []));
    return list;
  }

  add(pr: PullRequestRef, body: string, user: StoredComment['user']): StoredComment {
    const id = this.nextId++;
    const comment = {
      id,
      body,
      user,
      html_url: `https://github.com/${pr.owner}/${pr.repo}/pull/${pr.number}#issuecomment-${id}`,
    };
    this.comments(pr).push(comment);
    return comment;
  }

  private repositoryId(owner: string, repo: string): number {
    const key = `${owner}/${repo}`;
    if (!this.repositoryIds.has(key)) this.repositoryIds.set(key, 500_000 + this.repositoryIds.size);
    return this.repositoryIds.get(key)!;
  }

  private repositoryById(id: number): { owner: string; repo: string } | undefined {
    for (const [key, value] of this.repositoryIds) {
      const [owner, repo] = key.split('/') as [string, string];
      if (value === id) return { owner, repo };
    }
    return undefined;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    this.requests.push({ method, url: request.url ?? '', headers: request.headers });
    const text = await readBody(request);
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token !== WRITE_TOKEN && token !== READ_ONLY_TOKEN && token !== PERSONAL_TOKEN) {
      send(response, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      return;
    }
    if (method !== 'GET' && token === READ_ONLY_TOKEN) {
      send(response, 403, { message: 'Resource not accessible by integration', status: '403' });
      return;
    }
    const url = new URL(request.url ?? '/', this.url);
    if (method === 'GET' && url.pathname === '/user') {
      // As GitHub answers an installation token (GITHUB_TOKEN) there, and a personal token.
      if (token === PERSONAL_TOKEN) send(response, 200, HUMAN);
      else send(response, 403, { message: 'Resource not accessible by integration', status: '403' });
      return;
    }
    const issue = this.issueOf(url.pathname);
    const commentId = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(url.pathname)?.[1];
    if (method === 'GET' && issue) this.list(response, url, issue);
    else if (method === 'POST' && issue)
      this.create(response, issue, text, token === PERSONAL_TOKEN ? HUMAN : BOT);
    else if (method === 'PATCH' && commentId) this.update(response, Number(commentId), text);
    else send(response, 404, { message: 'Not Found' });
  }

  private issueOf(pathname: string): PullRequestRef | undefined {
    const byName = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(pathname);
    if (byName) return { owner: byName[1]!, repo: byName[2]!, number: Number(byName[3]) };
    const byId = /^\/repositories\/(\d+)\/issues\/(\d+)\/comments$/.exec(pathname);
    const repository = byId && this.repositoryById(Number(byId[1]));
    return repository ? { ...repository, number: Number(byId[2]) } : undefined;
  }

  private list(response: ServerResponse, url: URL, pr: PullRequestRef): void {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    const all = this.comments(pr);
    const lastPage = Math.max(1, Math.ceil(all.length / perPage));
    const pageUrl = (n: number) =>
      `<${this.url}/repositories/${this.repositoryId(pr.owner, pr.repo)}/issues/${pr.number}/comments?per_page=${perPage}&page=${n}>`;
    const links: string[] = [];
    if (page > 1) links.push(`${pageUrl(page - 1)}; rel="prev"`);
    if (page < lastPage) links.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(lastPage)}; rel="last"`);
    if (page > 1) links.push(`${pageUrl(1)}; rel="first"`);
    const headers: Record<string, string> = links.length > 0 ? { Link: links.join(', ') } : {};
    send(response, 200, all.slice((page - 1) * perPage, page * perPage), headers);
  }

  private create(
    response: ServerResponse,
    pr: PullRequestRef,
    text: string,
    user: StoredComment['user'],
  ): void {
    const body = validBody(response, text);
    if (body !== undefined) send(response, 201, this.add(pr, body, user));
  }

  private update(response: ServerResponse, id: number, text: string): void {
    const comment = [...this.issues.values()].flat().find((c) => c.id === id);
    if (!comment) {
      send(response, 404, { message: 'Not Found' });
      return;
    }
    const body = validBody(response, text);
    if (body === undefined) return;
    comment.body = body;
    send(response, 200, comment);
  }
}

function validBody(response: ServerResponse, text: string): string | undefined {
  const { body } = JSON.parse(text) as { body?: unknown };
  if (typeof body !== 'string') {
    send(response, 422, { message: 'Invalid request.\n\n"body" wasn\'t supplied.' });
    return undefined;
  }
  if (body.length > 65_536) {
    const error = {
      resource: 'IssueComment',
      code: 'custom',
      field: 'body',
      message: 'body is too long (maximum is 65536 characters)',
    };
    send(response, 422, { message: 'Validation Failed', errors: [error] });
    return undefined;
  }
  return body;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(
  response: ServerResponse,
  status: number,
  json: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(json));
}

/** Starts a fake GitHub REST API on 127.0.0.1; `WRITE_TOKEN` may write, `READ_ONLY_TOKEN` only read. */
export async function startFakeGitHub(): Promise<FakeGitHub> {
  const github = new FakeGitHub();
  await github.start();
  return github;
}
