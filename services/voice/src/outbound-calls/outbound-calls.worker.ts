import type { JobHandlers } from '@series-killer/shared';
import { DelayedError } from 'bullmq';
import { type ApplyCallOutcomeDeps, applyCallOutcome } from './apply-call-outcome.ts';
import { type PlaceCallDeps, placeCall } from './place-call.ts';

/**
 * `outbound-calls`: places calls. A call that must wait (calling hours, another run's claim)
 * goes back to the delayed set until then, without spending an attempt.
 */
export function outboundCallsHandlers(deps: PlaceCallDeps): JobHandlers<'outbound-calls'> {
  return {
    'place-call': async (data, job) => {
      const result = await placeCall(deps, data);
      if (result.outcome !== 'wait') return result;
      await job.moveToDelayed(result.until.getTime(), job.token);
      throw new DelayedError();
    },
  };
}

/** `outbound-call-outcomes`: what Twilio reported of placed calls; retries after busy / no-answer / failed. */
export function outboundCallOutcomesHandlers(deps: ApplyCallOutcomeDeps): JobHandlers<'outbound-call-outcomes'> {
  return { 'outbound-call-outcome': (data) => applyCallOutcome(deps, data) };
}
