/** The query of one of Twilio's list endpoints, as the SDK sends it. */
export type ListQuery = Record<string, string | string[] | undefined>;

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

export function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Inclusive bounds of a date filter's value: a whole UTC day for `YYYY-MM-DD`, else that second. */
function bounds(value: string): { from: number; to: number } | undefined {
  const ms = Date.parse(DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) return undefined;
  if (DATE_ONLY.test(value)) return { from: ms, to: ms + DAY_MS - 1 };
  const second = Math.floor(ms / 1000) * 1000;
  return { from: second, to: second + 999 };
}

/** Whether a time passes the query's `name`, `name<` and `name>` filters (e.g. `DateSent`, `StartTime`). */
export function matchesDateFilter(ms: number | null, query: ListQuery, name: string): boolean {
  const on = first(query[name]);
  const before = first(query[`${name}<`]);
  const after = first(query[`${name}>`]);
  if (on === undefined && before === undefined && after === undefined) return true;
  if (ms === null) return false;
  const onBounds = on === undefined ? undefined : bounds(on);
  const beforeBounds = before === undefined ? undefined : bounds(before);
  const afterBounds = after === undefined ? undefined : bounds(after);
  if (onBounds && (ms < onBounds.from || ms > onBounds.to)) return false;
  if (beforeBounds && ms > beforeBounds.to) return false;
  if (afterBounds && ms < afterBounds.from) return false;
  return true;
}

export function pageSizeOf(query: ListQuery): number | undefined {
  const raw = first(query.PageSize);
  if (raw === undefined) return DEFAULT_PAGE_SIZE;
  const size = Number(raw);
  return Number.isInteger(size) && size > 0 && size <= MAX_PAGE_SIZE ? size : undefined;
}

/** Where a page starts in the newest-first list: after `PA<sid>`, before `PB<sid>`, or at Page × PageSize. */
function pageStart(sids: string[], query: ListQuery, pageSize: number, page: number): number {
  const token = first(query.PageToken);
  const after = token?.startsWith('PA') ? sids.indexOf(token.slice(2)) : -1;
  if (after >= 0) return after + 1;
  const before = token?.startsWith('PB') ? sids.indexOf(token.slice(2)) : -1;
  if (before >= 0) return Math.max(0, before - pageSize);
  return page * pageSize;
}

/** How a list endpoint names its items and which query keys filter it. */
export interface ListShape<T> {
  /** The envelope's key for the items: `messages`, `calls`. */
  key: string;
  /** The query keys its page URIs carry along, in the order the query gave them. */
  filterKeys: readonly string[];
  toResource(item: T): unknown;
}

/** One page of a Twilio list, newest first (`newestFirst` is already filtered), with Twilio's paging fields. */
export function twilioPage<T extends { sid: string }>(
  newestFirst: T[],
  query: ListQuery,
  listPath: string,
  pageSize: number,
  shape: ListShape<T>,
) {
  const page = Math.max(0, Number.parseInt(first(query.Page) ?? '0', 10) || 0);
  const start = pageStart(
    newestFirst.map((item) => item.sid),
    query,
    pageSize,
    page,
  );
  const items = newestFirst.slice(start, start + pageSize);

  const uriFor = (pageNumber: number, token?: string) => {
    const params = new URLSearchParams();
    for (const key of Object.keys(query)) {
      const value = shape.filterKeys.includes(key) ? first(query[key]) : undefined;
      if (value !== undefined) params.set(key, value);
    }
    params.set('PageSize', String(pageSize));
    params.set('Page', String(pageNumber));
    if (token) params.set('PageToken', token);
    return `${listPath}?${params.toString()}`;
  };

  const last = items.at(-1);
  const firstItem = items[0];
  const hasNext = last !== undefined && start + items.length < newestFirst.length;
  const hasPrevious = page > 0 && firstItem !== undefined;
  return {
    // Index of the page's last item; an empty page says 0, as Twilio's own examples do.
    end: items.length === 0 ? 0 : start + items.length - 1,
    first_page_uri: uriFor(0),
    [shape.key]: items.map((item) => shape.toResource(item)),
    next_page_uri: hasNext ? uriFor(page + 1, `PA${last.sid}`) : null,
    page,
    page_size: pageSize,
    previous_page_uri: hasPrevious ? uriFor(page - 1, `PB${firstItem.sid}`) : null,
    start,
    uri: uriFor(page, first(query.PageToken)),
  };
}
