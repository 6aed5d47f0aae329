/**
 * URLs that are secrets (webhooks, heartbeats) and URLs inside error texts that carry credentials. A webhook's
 * secret is often only a part of it, its path's token or a `sig` query value (Teams), so a text that quotes that
 * part alone must be caught too.
 */

/** Path segments and query values shorter than this are words (`ping`, `services`, `1.0`), not tokens. */
const TOKEN_MIN_LENGTH = 16;

/**
 * The parts of a secret URL that identify it: the URL, its path, its query, and every path segment or query
 * value long enough to be a token. Longest first, so that replacing them in turn replaces the whole first.
 */
export function secretUrlParts(url: string): string[] {
  if (!URL.canParse(url)) return [url];
  const parsed = new URL(url);
  const segments = parsed.pathname.split('/').flatMap((segment) => [segment, safeDecode(segment)]);
  const values = [...parsed.searchParams.values()];
  const parts = [url, parsed.href, parsed.pathname, parsed.search.slice(1), ...segments, ...values].filter(
    (part) => part === url || part.length >= TOKEN_MIN_LENGTH,
  );
  return [...new Set(parts)].sort((a, b) => b.length - a.length);
}

/** `text` with every part of the secret URL replaced by `label`. */
export function withoutSecretUrl(text: string, url: string, label: string): string {
  return secretUrlParts(url).reduce((result, part) => result.replaceAll(part, label), text);
}

/** Chat and monitoring services are outside GitHub's log masking: `postgres://user:secret@host` becomes `postgres://***@host`. */
export function withoutUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
