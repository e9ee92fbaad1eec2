import { addJob, botTurnJobId, type JobData, type Logger, type Queues, withTimeout } from '@series-killer/shared';

/** Where finished turns go: the `calls` queue, off the reply path. */
export type TurnSink = (turn: JobData<'bot-turn'>) => void;

/**
 * Stores each finished turn as a `bot-turn` job keyed by call and turn, so a retry never doubles
 * it. Not awaited by the conversation: the queue's connection waits out a short Redis outage, and
 * a turn that still cannot be stored is logged (the transcript then marks its gap).
 */
export function queueTurns(queues: Queues, logger: Logger): TurnSink {
  return (turn) => {
    addJob(queues, 'bot-turn', turn).catch((error: unknown) =>
      logger.error({ err: error, callSid: turn.callSid, turn: turn.turn }, 'turn not stored'),
    );
  };
}

/** The last turn a call has so far, given the last one stored; see `lastQueuedTurns`. */
export type LastTurnFinder = (callSid: string, lastStored: number) => Promise<number>;

/** Turns looked for past the last one stored: a dropped connection leaves a few in flight at most. */
const MAX_TURNS_IN_FLIGHT = 100;

/**
 * Counts on from the last turn stored through the turns whose `bot-turn` job is still in the
 * queue: those an earlier connection of the call queued that the summarizer has not stored yet
 * (it may be behind, or the database down). A reconnected conversation numbers its turns after
 * them, so none is reused and lost. Past `budgetMs` (Redis slow or down) the last turn stored is
 * taken as it is, rather than keep the caller waiting.
 */
export function lastQueuedTurns(
  queues: Queues,
  { budgetMs, logger }: { budgetMs: number; logger: Logger },
): LastTurnFinder {
  const countOn = async (callSid: string, lastStored: number) => {
    let turn = lastStored;
    while (turn < lastStored + MAX_TURNS_IN_FLIGHT && (await queues.calls.getJob(botTurnJobId(callSid, turn + 1))))
      turn += 1;
    return turn;
  };
  return (callSid, lastStored) =>
    withTimeout(
      countOn(callSid, lastStored).catch((error: unknown) => {
        logger.warn({ err: error, callSid }, 'queued turns not counted; numbering after the stored ones');
        return lastStored;
      }),
      budgetMs,
      () => lastStored,
    );
}
