import { type Request, type Response, Router } from 'express';
import { first, type ListQuery, matchesDateFilter, pageSizeOf, twilioPage } from '../paging/twilio-page.ts';
import { sendTwilioError } from '../twilio-error.ts';
import { callResource } from './call-resource.ts';
import type { CallStore, SandboxCall } from './call-store.ts';
import { type CreateCallParams, createCall } from './create-call.ts';
import type { OutboundCalls } from './play-outbound-call.ts';

export interface CallsRouterDeps {
  calls: CallStore;
  outboundCalls: OutboundCalls;
}

const FILTER_KEYS = [
  'To',
  'From',
  'ParentCallSid',
  'Status',
  'StartTime',
  'StartTime<',
  'StartTime>',
  'EndTime',
  'EndTime<',
  'EndTime>',
] as const;

function accountOf(req: Request): string {
  return String(req.params.accountSid);
}

function filterCalls(calls: SandboxCall[], query: ListQuery): SandboxCall[] {
  const to = first(query.To);
  const from = first(query.From);
  const status = first(query.Status);
  // The sandbox places no child calls, so a ParentCallSid filter matches none.
  if (first(query.ParentCallSid) !== undefined) return [];
  return calls.filter(
    (call) =>
      (to === undefined || call.to === to) &&
      (from === undefined || call.from === from) &&
      (status === undefined || call.status === status) &&
      matchesDateFilter(call.startTime, query, 'StartTime') &&
      matchesDateFilter(call.endTime, query, 'EndTime'),
  );
}

/** The call `/Calls/{Sid}.json` names, or undefined after answering Twilio's 404. */
function callOf(deps: CallsRouterDeps, req: Request, res: Response): SandboxCall | undefined {
  const sid = String(req.params.file).replace(/\.json$/, '');
  const call = deps.calls.get(sid);
  if (call && call.accountSid === accountOf(req)) return call;
  sendTwilioError(res, 404, 20404, `The requested resource ${req.originalUrl.split('?')[0]} was not found`);
  return undefined;
}

/** Twilio's Calls resource: create (then the call is played), list, fetch and end under /2010-04-01/Accounts/{AccountSid}. */
export function callsRouter(deps: CallsRouterDeps): Router {
  const router = Router({ mergeParams: true });
  router.post('/Calls.json', (req, res) => {
    const result = createCall(accountOf(req), (req.body ?? {}) as CreateCallParams, Date.now());
    if ('rejection' in result) {
      const { status, code, message } = result.rejection;
      sendTwilioError(res, status, code, message);
      return;
    }
    deps.calls.add(result.call);
    res.status(201).json(callResource(result.call));
    deps.outboundCalls.start(result.call);
  });

  router.get('/Calls.json', (req, res) => {
    const query = req.query as ListQuery;
    const pageSize = pageSizeOf(query);
    if (pageSize === undefined) {
      sendTwilioError(res, 400, 20001, 'PageSize must be an integer between 1 and 1000');
      return;
    }
    const listPath = `/2010-04-01/Accounts/${accountOf(req)}/Calls.json`;
    const newestFirst = filterCalls(deps.calls.all(), query).reverse();
    res.json(
      twilioPage(newestFirst, query, listPath, pageSize, {
        key: 'calls',
        filterKeys: FILTER_KEYS,
        toResource: callResource,
      }),
    );
  });

  router.get('/Calls/:file', (req, res) => {
    const call = callOf(deps, req, res);
    if (!call) return;
    res.json(callResource(call));
  });

  router.post('/Calls/:file', (req, res) => {
    const call = callOf(deps, req, res);
    if (!call) return;
    const status = first(req.body?.Status as string | string[] | undefined);
    if (status !== 'canceled' && status !== 'completed') {
      sendTwilioError(
        res,
        400,
        20001,
        'The sandbox updates a call only to end it: Status must be canceled or completed',
      );
      return;
    }
    const ended = deps.outboundCalls.end(call, status);
    if (!ended && status === 'canceled' && call.status === 'in-progress') {
      sendTwilioError(res, 400, 21220, 'Call is in progress and cannot be canceled; end it with Status=completed');
      return;
    }
    res.json(callResource(call));
  });

  return router;
}
