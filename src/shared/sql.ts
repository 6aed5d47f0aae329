/** An SQL identifier, double-quoted as PostgreSQL's `quote_ident` would: safe for any schema, table or database name. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
