import { type Request, type Response, Router } from 'express';
import { type ListQuery, pageSizeOf } from '../paging/twilio-page.ts';
import type { StatusCallbackDeps } from '../status-callbacks/status-callbacks.ts';
import { scheduleStatusCallbacks } from '../status-callbacks/status-callbacks.ts';
import { sendTwilioError } from '../twilio-error.ts';
import { type CreateParams, createMessage } from './create-message.ts';
import { messagesPage } from './list-messages.ts';
import { messageResource } from './message-resource.ts';
import type { SandboxMessage } from './message-store.ts';
import { parseMessageUpdate, type UpdateParams } from './update-message.ts';

export interface MessagesRouterDeps extends StatusCallbackDeps {
  /** Whether the account is a trial account (see TwilioMode.trialAccount). */
  isTrialAccount(): boolean;
}

function accountOf(req: Request): string {
  return String(req.params.accountSid);
}

/** The message `/Messages/{Sid}.json` names, or undefined after answering Twilio's 404. */
function messageOf(deps: MessagesRouterDeps, req: Request, res: Response): SandboxMessage | undefined {
  const sid = String(req.params.file).replace(/\.json$/, '');
  const message = deps.store.get(sid);
  if (message && message.accountSid === accountOf(req)) return message;
  sendTwilioError(res, 404, 20404, `The requested resource ${req.originalUrl.split('?')[0]} was not found`);
  return undefined;
}

/** Twilio's Messages resource: create, list, fetch and redact under /2010-04-01/Accounts/{AccountSid}. */
export function messagesRouter(deps: MessagesRouterDeps): Router {
  const router = Router({ mergeParams: true });
  router.post('/Messages.json', (req, res) => {
    const result = createMessage(accountOf(req), (req.body ?? {}) as CreateParams, Date.now(), {
      trialAccount: deps.isTrialAccount(),
    });
    if ('rejection' in result) {
      const { status, code, message } = result.rejection;
      sendTwilioError(res, status, code, message);
      return;
    }
    deps.store.add(result.message);
    res.status(201).json(messageResource(result.message));
    scheduleStatusCallbacks(deps, result.message);
  });

  router.get('/Messages.json', (req, res) => {
    const query = req.query as ListQuery;
    const pageSize = pageSizeOf(query);
    if (pageSize === undefined) {
      sendTwilioError(res, 400, 20001, 'PageSize must be an integer between 1 and 1000');
      return;
    }
    const listPath = `/2010-04-01/Accounts/${accountOf(req)}/Messages.json`;
    res.json(messagesPage(deps.store.all(), query, listPath, pageSize, messageResource));
  });

  router.get('/Messages/:file', (req, res) => {
    const message = messageOf(deps, req, res);
    if (!message) return;
    res.json(messageResource(message));
  });

  router.post('/Messages/:file', (req, res) => {
    const message = messageOf(deps, req, res);
    if (!message) return;
    const update = parseMessageUpdate((req.body ?? {}) as UpdateParams);
    if ('rejection' in update) {
      const { status, code, message: reason } = update.rejection;
      sendTwilioError(res, status, code, reason);
      return;
    }
    deps.store.redact(message.sid, Date.now());
    res.json(messageResource(message));
  });

  return router;
}
