import { addJob, type JobData, type Logger, type Queues } from '@series-killer/shared';

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
