import { callerPhoneNumber, type Db, type Logger, listTranscriptSegments, withTimeout } from '@series-killer/shared';
import { findCallerProfile, isSmsOptedOut, listRecentCallAnalyses } from './caller-context.repository.ts';

/** How many earlier calls the bot remembers. */
const REMEMBERED_CALLS = 3;

/** A previous call as the bot remembers it. */
export interface RememberedCall {
  summary: string;
  actionItems: string[];
}

/** A turn already stored for this call (a reconnected session). */
export interface StoredTurn {
  turn: number;
  caller: string;
  bot: string;
}

/** What the bot knows about the caller, loaded once at `setup`. */
export interface CallerContext {
  /** The caller's number in E.164; undefined when withheld or not a phone. */
  phoneNumber?: string;
  /** Set for a caller whose number is linked to a user. */
  user?: {
    id: string;
    firstName: string;
    location: string | null;
    onboardingStatus: string;
    voicePreference: string | null;
  };
  /** Whether the caller's number has opted out of SMS. */
  smsOptedOut: boolean;
  /** The user's latest calls, newest first. */
  memory: RememberedCall[];
  /** Turns of this call already stored, in order. */
  storedTurns: StoredTurn[];
}

function actionItemsOf(json: unknown): string[] {
  return Array.isArray(json) ? json.filter((item): item is string => typeof item === 'string') : [];
}

/** Folds stored caller/bot segments back into turns. */
function turnsOf(segments: { track: string; sequence: number; text: string }[]): StoredTurn[] {
  const turns = new Map<number, StoredTurn>();
  for (const segment of segments) {
    const turn = turns.get(segment.sequence) ?? { turn: segment.sequence, caller: '', bot: '' };
    if (segment.track === 'inbound_track') turn.caller = segment.text;
    else turn.bot = segment.text;
    turns.set(segment.sequence, turn);
  }
  return [...turns.values()].sort((a, b) => a.turn - b.turn);
}

async function readContext(db: Db, callSid: string, phoneNumber: string | undefined): Promise<CallerContext> {
  const [profile, smsOptedOut, segments] = await Promise.all([
    phoneNumber ? findCallerProfile(db, phoneNumber) : undefined,
    phoneNumber ? isSmsOptedOut(db, phoneNumber) : false,
    listTranscriptSegments(db, callSid),
  ]);
  const analyses = profile ? await listRecentCallAnalyses(db, profile.userId, REMEMBERED_CALLS) : [];
  return {
    phoneNumber,
    user: profile && {
      id: profile.userId,
      firstName: profile.firstName,
      location: profile.location,
      onboardingStatus: profile.onboardingStatus,
      voicePreference: profile.voicePreference,
    },
    smsOptedOut,
    memory: analyses.map((analysis) => ({
      summary: analysis.summary,
      actionItems: actionItemsOf(analysis.actionItems),
    })),
    storedTurns: turnsOf(segments),
  };
}

/**
 * The caller's context, read once at `setup` within `budgetMs`: past it (or on a database error)
 * the bot talks to the caller as to an unknown one rather than keep them waiting. `caller` is
 * the user's side of the call (`from` of an inbound call, `to` of an outbound one).
 */
export async function loadCallerContext(
  db: Db,
  call: { callSid: string; caller: string },
  { budgetMs, logger }: { budgetMs: number; logger: Logger },
): Promise<CallerContext> {
  const phoneNumber = callerPhoneNumber(call.caller);
  const fallback: CallerContext = { phoneNumber, smsOptedOut: true, memory: [], storedTurns: [] };
  const read = readContext(db, call.callSid, phoneNumber).catch((error: unknown) => {
    logger.warn({ err: error, callSid: call.callSid }, 'caller context not loaded; talking without it');
    return fallback;
  });
  return withTimeout(read, budgetMs, () => {
    logger.warn({ callSid: call.callSid, budgetMs }, 'caller context not loaded in time; talking without it');
    return fallback;
  });
}
