/** What one ConversationRelay connection may send before it is closed as abusive. */
export interface ConnectionLimits {
  /** Largest message, in bytes (the `ws` server's `maxPayload`). Default 64 KiB. */
  maxMessageBytes: number;
  /** Messages per second, averaged over a one-second window. Default 50: Twilio sends a few per turn. */
  maxMessagesPerSecond: number;
  /** Malformed messages before the connection is closed. Default 10. */
  maxMalformed: number;
  /** Milliseconds a connection has to send `setup`. Default 5,000. */
  setupTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxMessageBytes: 64 * 1024,
  maxMessagesPerSecond: 50,
  maxMalformed: 10,
  setupTimeoutMs: 5_000,
};

/** Why a connection must be closed; undefined while it behaves. */
export type Abuse = 'too-many-messages' | 'too-many-malformed' | undefined;

/** Counts one connection's messages against its limits. */
export function connectionMeter(limits: ConnectionLimits, now: () => number = Date.now) {
  let windowStart = now();
  let inWindow = 0;
  let malformed = 0;
  return {
    /** Counts a message; says whether the connection has gone past its rate. */
    message(): Abuse {
      const at = now();
      if (at - windowStart >= 1_000) {
        windowStart = at;
        inWindow = 0;
      }
      inWindow += 1;
      return inWindow > limits.maxMessagesPerSecond ? 'too-many-messages' : undefined;
    },
    /** Counts a malformed message; says whether there have been too many. */
    malformed(): Abuse {
      malformed += 1;
      return malformed >= limits.maxMalformed ? 'too-many-malformed' : undefined;
    },
  };
}
