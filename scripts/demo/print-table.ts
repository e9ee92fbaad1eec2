/** Rows as a plain text table, long values cut so it fits a terminal. */
export function formatTable(title: string, rows: Record<string, unknown>[], maxCell = 48): string {
  if (rows.length === 0) return `${title}: (no rows)`;
  const columns = Object.keys(rows[0] as Record<string, unknown>);
  const cell = (value: unknown) => {
    const text =
      value instanceof Date
        ? value.toISOString().slice(0, 19)
        : typeof value === 'object' && value !== null
          ? JSON.stringify(value)
          : String(value ?? '');
    const flat = text.replace(/\s+/g, ' ');
    return flat.length > maxCell ? `${flat.slice(0, maxCell - 1)}…` : flat;
  };
  const body = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...body.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [`${title} (${rows.length})`, line(columns), rule, ...body.map(line)].join('\n');
}
