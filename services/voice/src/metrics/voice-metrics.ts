import { Counter, Gauge, Registry, Summary } from 'prom-client';

/** The voice service's Prometheus metrics, on a registry of its own. */
export interface VoiceMetrics {
  registry: Registry;
  /** WebSocket sessions open now. */
  liveCalls: Gauge;
  /** Turns finished and handed to the `calls` queue. */
  turns: Counter;
  /** Model replies that failed (429, 5xx, no first token in time). */
  modelFailures: Counter;
  /** Upgrades and connections refused or closed, by reason. */
  refusals: Counter<'reason'>;
  /** Seconds from a reply's first token leaving the model's stream to its `text` message handed to the socket. */
  firstTokenForwardSeconds: Summary;
  /** Seconds from an interrupt's message to the model request of the reply it cut aborted. */
  interruptAbortSeconds: Summary;
}

export function createVoiceMetrics(): VoiceMetrics {
  const registry = new Registry();
  return {
    registry,
    liveCalls: new Gauge({
      name: 'voice_live_calls',
      help: 'ConversationRelay sessions open now',
      registers: [registry],
    }),
    turns: new Counter({ name: 'voice_turns_total', help: 'Conversation turns finished', registers: [registry] }),
    modelFailures: new Counter({
      name: 'voice_model_failures_total',
      help: 'Model replies that failed or did not start in time',
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'voice_refusals_total',
      help: 'Upgrades refused and connections closed for abuse, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    firstTokenForwardSeconds: new Summary({
      name: 'voice_first_token_forward_seconds',
      help: "Time from a reply's first token out of the model's stream to its text message on the socket",
      percentiles: [0.5, 0.99],
      registers: [registry],
    }),
    interruptAbortSeconds: new Summary({
      name: 'voice_interrupt_abort_seconds',
      help: "Time from an interrupt's message to the model request of the reply it cut aborted",
      percentiles: [0.5, 0.99, 1],
      registers: [registry],
    }),
  };
}
