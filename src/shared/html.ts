/** Text from a database or a server (names, errors, statements) as it may appear inside a job summary's HTML. */
export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
