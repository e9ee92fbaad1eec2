/** What the demo needs to place an outbound call and hear it. */
export interface OutboundCallDemo {
  /** The ingress's base URL. */
  ingress: string;
  /** The sandbox's control URL (`…/sandbox`). */
  control: string;
  internalApiToken: string;
  userId: string;
  phone: string;
  http<T>(url: string, init?: RequestInit & { json?: unknown }): Promise<T>;
  waitUntil<T>(waitedFor: string, check: () => Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  say(line: string): void;
}

interface CallView {
  status: string;
  notBefore: string;
  callSid: string | null;
}

interface PlacedCall {
  sid: string;
  relaySession: { dialogue: { speaker: string; text: string }[] } | null;
}

const FINAL = ['completed', 'voicemail', 'busy', 'no-answer', 'failed', 'canceled', 'skipped'];

/**
 * Series Killer calls the user about Friday's episode: asked for through the API, placed by the
 * voice service, answered (the sandbox plays the user) and talked through with the bot. Outside
 * the calling hours the call would wait for the morning: the demo says so and cancels it.
 */
export async function playOutboundCall(demo: OutboundCallDemo): Promise<void> {
  const auth = { authorization: `Bearer ${demo.internalApiToken}` };
  await demo.http(`${demo.control}/twilio/calls/numbers/${encodeURIComponent(demo.phone)}`, {
    method: 'PUT',
    json: { answeredBy: 'human', lines: ['Oh hi! Yes, what about it?', 'Perfect, thanks. Goodbye!'] },
  });
  const { id, notBefore } = await demo.http<{ id: string; notBefore: string }>(`${demo.ingress}/api/calls`, {
    method: 'POST',
    headers: auth,
    json: { userId: demo.userId, purpose: "Friday's episode of The Bridge", idempotencyKey: `demo-${demo.userId}` },
  });
  if (Date.parse(notBefore) > Date.now() + 5_000) {
    demo.say(`      call ${id} would wait for the calling hours (until ${notBefore}); canceled for the demo`);
    await demo.http(`${demo.ingress}/api/calls/${id}`, { method: 'DELETE', headers: auth });
    return;
  }
  const call = await demo.waitUntil('the outbound call to end', async () => {
    const view = await demo.http<CallView>(`${demo.ingress}/api/calls/${id}`, { headers: auth });
    return FINAL.includes(view.status) && view;
  });
  const placed = (await demo.http<PlacedCall[]>(`${demo.control}/twilio/calls`)).find((c) => c.sid === call.callSid);
  for (const turn of placed?.relaySession?.dialogue ?? [])
    demo.say(`      ${turn.speaker === 'bot' ? 'Series Killer' : 'Ada'}: ${turn.text}`);
  demo.say(`      outbound call ${id} ${call.status} (${call.callSid})`);
}
