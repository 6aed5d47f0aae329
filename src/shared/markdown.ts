/**
 * Text from elsewhere (a migration's output, a schema diff) inside GitHub Markdown. A fenced code block ends at the
 * first line that is a fence of the same character at least as long as the opening one (CommonMark), so a fence
 * longer than any run of backticks in the text can never be closed from inside it: nothing after it renders as
 * Markdown or HTML (links, mentions, images).
 */
export function codeBlock(text: string, info = ''): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text}\n${fence}`;
}

/**
 * The fence that closes the code block `text` ends inside, or undefined when it ends outside one: for a cut that
 * must close what it cut open. Fences of backticks or tildes, indented up to three spaces, as CommonMark reads them.
 */
export function openFence(text: string): string | undefined {
  let open: string | undefined;
  for (const line of text.split('\n')) {
    const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (!fence) continue;
    if (open === undefined) open = fence;
    else if (fence[0] === open[0] && fence.length >= open.length && line.trim() === fence) open = undefined;
  }
  return open;
}
