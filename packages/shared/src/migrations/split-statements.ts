export interface SqlStatement {
  /** 1-based line of the statement's first character. */
  line: number;
  text: string;
}

/**
 * Splits a migration into statements at top-level semicolons, keeping quoted strings,
 * quoted identifiers, dollar-quoted bodies and comments intact, so a failure can be
 * reported with its own statement and line.
 */
export function splitStatements(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const raw = sql.slice(start, end);
    const text = raw.trim();
    if (text !== '' && !/^(--[^\n]*\n?\s*)*$/.test(text)) {
      const offset = start + raw.indexOf(text);
      statements.push({ line: sql.slice(0, offset).split('\n').length, text });
    }
    start = end + 1;
  };
  while (i < sql.length) {
    const ch = sql[i];
    const rest = sql.slice(i);
    if (rest.startsWith('--')) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (ch === "'" || ch === '"') {
      const end = sql.indexOf(ch, i + 1);
      i = end === -1 ? sql.length : end + 1;
    } else if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(rest)?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        i = end === -1 ? sql.length : end + tag.length;
      } else {
        i += 1;
      }
    } else if (ch === ';') {
      push(i);
      i += 1;
    } else {
      i += 1;
    }
  }
  push(sql.length);
  return statements;
}
