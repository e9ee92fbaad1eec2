import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@series-killer/shared';
import { rfc2822 } from '../dates.ts';
import { newIdempotencyToken, type WebhookSender, WebhookSenderClosedError } from '../webhooks/webhook-sender.ts';
import type { CallModes } from './call-mode.ts';
import type { CallProgressEvent, CallStatus, CallStore, SandboxCall } from './call-store.ts';
import { callWebhookParams } from './call-webhook-params.ts';

/**
 * Plays an answered call's TwiML, e.g. a ConversationRelay session, and resolves when the call
 * hangs up, with whether it held a live session; `signal` aborts when the call is ended through
 * the API.
 */
export type TwimlPlayer = (call: SandboxCall, twiml: string, signal: AbortSignal) => Promise<boolean>;

export interface CallPlayerDeps {
  calls: CallStore;
  modes: CallModes;
  sender: WebhookSender;
  logger: Logger;
  /** Plays live sessions; without one (or for TwiML with none), the call stays up for the mode's `talkMs`. */
  playTwiml?: TwimlPlayer;
}

/** The event a status belongs to in `StatusCallbackEvent`. */
function eventOf(status: CallStatus): CallProgressEvent {
  if (status === 'initiated' || status === 'ringing') return status;
  return status === 'in-progress' ? 'answered' : 'completed';
}

/** Calls being played, with what ends them early (a hang-up through the API). */
export class OutboundCalls {
  readonly #deps: CallPlayerDeps;
  readonly #hangUps = new Map<string, AbortController>();

  constructor(deps: CallPlayerDeps) {
    this.#deps = deps;
  }

  /** Plays a new call in the background, as Twilio would dial it. */
  start(call: SandboxCall): void {
    const hangUp = new AbortController();
    this.#hangUps.set(call.sid, hangUp);
    this.#play(call, hangUp.signal)
      .catch((error: unknown) => this.#failed(error, call))
      .finally(() => this.#hangUps.delete(call.sid));
  }

  #failed(error: unknown, call: SandboxCall): void {
    if (error instanceof WebhookSenderClosedError) return;
    this.#deps.logger.error({ err: error, callSid: call.sid }, 'outbound call stopped');
  }

  /**
   * Ends a call through the API: `canceled` before it is answered, `completed` once it is
   * (a hang-up); its status callback follows in the background. Answers whether the call was
   * still live.
   */
  end(call: SandboxCall, status: 'canceled' | 'completed'): boolean {
    const answered = call.status === 'in-progress';
    if (status === 'canceled' && answered) return false;
    if (!this.#deps.calls.advance(call.sid, answered ? 'completed' : 'canceled', Date.now())) return false;
    this.#hangUps.get(call.sid)?.abort();
    this.#report(call).catch((error: unknown) => this.#failed(error, call));
    return true;
  }

  async #play(call: SandboxCall, hangUp: AbortSignal): Promise<void> {
    const { calls } = this.#deps;
    const mode = this.#deps.modes.resolve(call.to);
    const step = async (status: CallStatus) => {
      if (!calls.advance(call.sid, status, Date.now())) return false;
      await this.#report(call);
      return true;
    };
    if (!(await step('initiated')) || !(await step('ringing'))) return;
    await this.#wait(Math.min(mode.ringMs, call.timeoutSeconds * 1000), hangUp);
    if (mode.outcome !== 'answered') {
      await step(mode.outcome);
      return;
    }
    if (call.machineDetection) call.answeredBy = mode.answeredBy;
    if (!(await step('in-progress'))) return;
    const twiml = call.twiml ?? (await this.#fetchTwiml(call));
    if (call.machineDetection && call.asyncAmdStatusCallback) await this.#reportAnsweredBy(call);
    if (hangUp.aborted) return;
    const live = (await this.#deps.playTwiml?.(call, twiml, hangUp)) ?? false;
    if (!live) await this.#wait(mode.talkMs, hangUp);
    await step('completed');
  }

  /** Waits `ms`, or less when the call is ended through the API; throws when the sandbox closes. */
  async #wait(ms: number, hangUp: AbortSignal): Promise<void> {
    if (ms <= 0 || hangUp.aborted) return;
    const closing = this.#deps.sender.signal;
    try {
      await sleep(ms, undefined, { signal: AbortSignal.any([hangUp, closing]) });
    } catch (error) {
      if (closing.aborted) throw new WebhookSenderClosedError({ cause: error });
    }
  }

  #params(call: SandboxCall): Record<string, string> {
    return { ...callWebhookParams(call.accountSid, call.sid, call, 'outbound-api'), CallStatus: call.status };
  }

  /** Asks the call's Url for TwiML, with `AnsweredBy` when detection blocks the request. */
  async #fetchTwiml(call: SandboxCall): Promise<string> {
    if (call.url === null) return '';
    const blockingDetection = call.machineDetection !== null && call.asyncAmdStatusCallback === null;
    const result = await this.#deps.sender.send({
      kind: 'voice',
      url: call.url,
      params: { ...this.#params(call), ...(blockingDetection ? { AnsweredBy: call.answeredBy ?? 'unknown' } : {}) },
      idempotencyToken: newIdempotencyToken(),
    });
    return result.body;
  }

  async #reportAnsweredBy(call: SandboxCall): Promise<void> {
    if (call.asyncAmdStatusCallback === null) return;
    await this.#deps.sender.send({
      kind: 'amd-status',
      url: call.asyncAmdStatusCallback,
      params: { ...this.#params(call), AnsweredBy: call.answeredBy ?? 'unknown', MachineDetectionDuration: '2500' },
      idempotencyToken: newIdempotencyToken(),
    });
  }

  /** Sends the call's current status to its StatusCallback when the call asked for that event. */
  async #report(call: SandboxCall): Promise<void> {
    const event = eventOf(call.status);
    if (call.statusCallback === null || !call.statusCallbackEvents.includes(event)) return;
    const sequence = call.callbacksSent;
    call.callbacksSent += 1;
    const ended = event === 'completed';
    await this.#deps.sender.send({
      kind: 'voice-status',
      url: call.statusCallback,
      idempotencyToken: newIdempotencyToken(),
      params: {
        ...this.#params(call),
        CallbackSource: 'call-progress-events',
        SequenceNumber: String(sequence),
        Timestamp: rfc2822(Date.now()),
        ...(call.answeredBy ? { AnsweredBy: call.answeredBy } : {}),
        ...(ended
          ? {
              CallDuration: String(call.durationSeconds ?? 0),
              Duration: String(Math.ceil((call.durationSeconds ?? 0) / 60)),
            }
          : {}),
      },
    });
  }
}
