/** Cuts text to at most `limit` UTF-16 units, marking the cut with an ellipsis and never splitting a surrogate pair. */
export function clipText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
}

/** Cuts text to at most `limit` bytes of UTF-8, marking the cut with an ellipsis and never splitting a character. */
export function clipUtf8(text: string, limit: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  const ellipsis = '…';
  const kept = new TextDecoder().decode(bytes.subarray(0, limit - Buffer.byteLength(ellipsis)));
  // A character cut in two decodes as one replacement character at the end.
  return `${kept.replace(/\uFFFD$/, '')}${ellipsis}`;
}
