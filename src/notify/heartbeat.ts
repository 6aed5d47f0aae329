/**
 * The heartbeat: pings to a monitoring service (Healthchecks.io, Better Stack, Cronitor) when a run starts and when
 * it ends, successful or not. The service expects the success ping on a schedule and alerts when it does not come,
 * so it catches the run that never happened (a schedule GitHub disabled, a deleted workflow), which nothing inside
 * a run can. A ping that fails is a warning that never quotes the URL: the run's outcome is the backup's.
 */
import * as core from '@actions/core';

import { clipText, clipUtf8 } from '../shared/clip.js';
import { withoutSecretUrl, withoutUrlCredentials } from '../shared/secret-url.js';
import {
  DEFAULT_DELIVERY,
  deliver,
  DeliveryError,
  type DeliveryOptions,
  type OutgoingRequest,
} from './delivery.js';
import { runUrl } from './run-link.js';
import type { RunFacts } from './run-facts.js';

/** How each service spells start, success and failure (docs/notifications.md). */
export const HEARTBEAT_METHODS = ['healthchecks', 'better-stack', 'cronitor'] as const;
export type HeartbeatMethod = (typeof HEARTBEAT_METHODS)[number];

export interface HeartbeatSettings {
  /** The ping URL the service shows: a secret. */
  readonly url: string;
  readonly method: HeartbeatMethod;
}

export type HeartbeatEvent = 'start' | 'success' | 'failure';

/** What self-hosted Healthchecks keeps of a ping's body by default (Healthchecks.io keeps more). */
const BODY_LIMIT_BYTES = 10_000;
/** Cronitor's limit for the `message` query parameter. */
const CRONITOR_MESSAGE_LIMIT = 2000;
const CRONITOR_STATES: Record<HeartbeatEvent, string> = {
  start: 'run',
  success: 'complete',
  failure: 'fail',
};

/**
 * The request for one event, or undefined when the service has no ping for it (Better Stack has no start). A
 * failure's message goes where the service shows it: the body (Healthchecks, Better Stack) or `message` (Cronitor).
 */
export function heartbeatRequest(
  settings: HeartbeatSettings,
  event: HeartbeatEvent,
  message?: string,
): OutgoingRequest | undefined {
  const url = new URL(settings.url);
  if (settings.method === 'cronitor') {
    url.searchParams.set('state', CRONITOR_STATES[event]);
    if (event === 'failure' && message)
      url.searchParams.set('message', clipText(message, CRONITOR_MESSAGE_LIMIT));
    return { method: 'GET', url: url.href };
  }
  if (event === 'success') return { method: 'GET', url: settings.url };
  if (event === 'start' && settings.method === 'better-stack') return undefined;
  // The suffix goes on the path: a slug URL's `?create=1` stays the query.
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${event === 'start' ? 'start' : 'fail'}`;
  if (event === 'start' || !message) return { method: 'GET', url: url.href };
  return {
    method: 'POST',
    url: url.href,
    body: clipUtf8(message, BODY_LIMIT_BYTES),
    contentType: 'text/plain; charset=utf-8',
  };
}

/** What a failure ping tells whoever is alerted: what failed, why, and where the run is. */
export function failureMessage(facts: RunFacts, env: NodeJS.ProcessEnv = process.env): string {
  const database = facts.database === undefined ? '' : ` (${facts.database})`;
  const link = runUrl(env);
  const text = `Postgres ${facts.mode} failed${database}: ${facts.error ?? 'no reason was recorded'}`;
  return withoutUrlCredentials(link === undefined ? text : `${text}\n${link}`);
}

/** Sends one ping; a failure to do so only warns, with a reason that never contains the URL or its token. */
export async function pingHeartbeat(
  settings: HeartbeatSettings,
  event: HeartbeatEvent,
  message?: string,
  options: DeliveryOptions = DEFAULT_DELIVERY,
): Promise<void> {
  try {
    const request = heartbeatRequest(settings, event, message);
    if (request !== undefined) await deliver(request, options);
  } catch (error) {
    const reason = error instanceof DeliveryError ? error.message : 'failed the request';
    core.warning(
      `Heartbeat ${event} ping failed: the service ${withoutSecretUrl(reason, settings.url, '<heartbeat URL>')}. ` +
        'The run itself is not affected.',
    );
  }
}
