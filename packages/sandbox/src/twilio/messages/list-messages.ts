import { first, type ListQuery, matchesDateFilter, twilioPage } from '../paging/twilio-page.ts';
import type { SandboxMessage } from './message-store.ts';

const FILTER_KEYS = ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>'] as const;

export function filterMessages(messages: SandboxMessage[], query: ListQuery): SandboxMessage[] {
  const to = first(query.To);
  const from = first(query.From);
  return messages.filter(
    (m) =>
      (to === undefined || m.to === to) &&
      (from === undefined || m.from === from) &&
      matchesDateFilter(m.dateSent, query, 'DateSent'),
  );
}

/** One page of Twilio's Messages list, newest first, with Twilio's paging fields. */
export function messagesPage(
  all: SandboxMessage[],
  query: ListQuery,
  listPath: string,
  pageSize: number,
  toResource: (m: SandboxMessage) => unknown,
) {
  return twilioPage(filterMessages(all, query).reverse(), query, listPath, pageSize, {
    key: 'messages',
    filterKeys: FILTER_KEYS,
    toResource,
  });
}
