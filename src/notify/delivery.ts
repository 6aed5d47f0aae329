/**
 * One HTTP request to a notification service (a heartbeat ping, the webhook's JSON), bounded in time and retried a
 * couple of times on what is likely passing: no answer, a broken connection, 408, 429 or a 5xx. Its failure says
 * why in words that never contain the URL, which is a secret.
 */
import { HttpClient } from '@actions/http-client';

export interface OutgoingRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: string;
  readonly contentType?: string;
}

export interface DeliveryOptions {
  /** How long a request may go without a byte from the service before it counts as unanswered. */
  readonly timeoutMs: number;
  /** The pauses before each retry: one retry per entry. */
  readonly retryDelaysMs: readonly number[];
}

/** As long as Slack's notifier waits, then a couple more tries, as Healthchecks.io advises for curl pings. */
export const DEFAULT_DELIVERY: DeliveryOptions = { timeoutMs: 10_000, retryDelaysMs: [1_000, 3_000] };

/**
 * A failed delivery. Its message is what the service did, to follow its name (`answered HTTP 500`, `could not be
 * reached (ECONNREFUSED)`), safe to print: no URL, no part of it.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
}

/** Sends the request until the service answers 2xx; rejects with a DeliveryError after the last try. */
export async function deliver(
  request: OutgoingRequest,
  options: DeliveryOptions = DEFAULT_DELIVERY,
): Promise<void> {
  const attempts = options.retryDelaysMs.length + 1;
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(request, options.timeoutMs);
    if (outcome.delivered) return;
    if (!outcome.passing || attempt === attempts) {
      const tries = attempt > 1 ? ` (${attempt} attempts)` : '';
      throw new DeliveryError(outcome.reason + tries);
    }
    await pause(options.retryDelaysMs[attempt - 1]!);
  }
}

type Outcome = { delivered: true } | { delivered: false; passing: boolean; reason: string };

async function attemptOnce(request: OutgoingRequest, timeoutMs: number): Promise<Outcome> {
  const client = new HttpClient('postgres-backup-action', [], { socketTimeout: timeoutMs, keepAlive: false });
  const headers = request.contentType ? { 'content-type': request.contentType } : {};
  const sent = client.request(request.method, request.url, request.body ?? null, headers);
  // The client's own timeout starts once connected: a host that never accepts the connection needs this one.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error('Request timeout'));
    }, timeoutMs);
  });
  sent.catch(() => undefined);
  try {
    const response = await Promise.race([sent, deadline]);
    // Only the status matters: the body is let go unread, so a service that stalls in it cannot hold the run.
    response.message.resume();
    const status = response.message.statusCode ?? 0;
    if (status >= 200 && status < 300) return { delivered: true };
    return {
      delivered: false,
      passing: status === 408 || status === 429 || status >= 500,
      reason: `answered HTTP ${status}`,
    };
  } catch (error) {
    return { delivered: false, passing: true, reason: networkReason(error, timeoutMs) };
  } finally {
    clearTimeout(timer);
    // Ends the connection, answered or not, so that nothing of this try lingers into the next.
    client.dispose();
  }
}

/**
 * From the error's code only: the client's own messages quote the request's path (`Request timeout: /ping/<uuid>`),
 * which is the secret.
 */
function networkReason(error: unknown, timeoutMs: number): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const message = error instanceof Error ? error.message : '';
  if (message.startsWith('Request timeout') || code === 'ETIMEDOUT') {
    return `gave no answer within ${timeoutMs / 1000} s`;
  }
  if (typeof code !== 'string' || !/^[A-Z0-9_]{2,40}$/.test(code)) return 'failed the request';
  return UNREACHABLE.has(code) ? `could not be reached (${code})` : `failed the request (${code})`;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
