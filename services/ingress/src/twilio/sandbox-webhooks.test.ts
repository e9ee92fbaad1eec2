import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '@series-killer/sandbox';
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { createClient } from '@supabase/supabase-js';
import { type IngressHarness, startIngressHarness } from '../testing/ingress-harness.ts';

const APP_NUMBER = '+15005550006';
const TOKEN = 'internal-token-0123456789';

describe('webhooks played by the sandbox', () => {
  let h: IngressHarness;
  let sandbox: Sandbox;
  beforeAll(async () => {
    h = await startIngressHarness({ INTERNAL_API_TOKEN: TOKEN }, { sandbox: true });
    if (!h.sandbox) throw new Error('the harness started no sandbox');
    sandbox = h.sandbox;
  });
  afterAll(async () => {
    await h.close();
  });

  it('records an inbound SMS the sandbox sends', async () => {
    const { messageSid } = await sandbox.sendInboundSms({ from: '+19713364433', to: APP_NUMBER, body: 'STOP' });
    const job = await h.queues['sms-inbound'].getJob(`inbound.${messageSid}`);
    expect(job?.name).toBe('record-inbound-sms');
    expect(job?.data).toMatchObject({ messageSid, from: '+19713364433', body: 'STOP', numSegments: 1 });
  });

  it('turns a whole duplicated call into one job per distinct event', async () => {
    const result = await sandbox.simulateCall({
      from: '+19713364433',
      to: APP_NUMBER,
      transcript: [
        { track: 'inbound_track', text: 'Hi, I have a question about my bill.' },
        { track: 'outbound_track', text: 'Sure, let me look that up.' },
      ],
      duplicate: true,
    });
    expect(result.deliveries.every((delivery) => delivery.status >= 200 && delivery.status < 300)).toBe(true);

    const jobs = await h.queues.calls.getJobs(['waiting']);
    const ofCall = jobs.filter((job) => job.data.callSid === result.callSid);
    const names = ofCall.map((job) => job.name).sort();
    expect(names).toEqual([
      'call-started',
      'call-status',
      'call-status',
      'call-status',
      'call-status',
      'transcription-event',
      'transcription-event',
      'transcription-event',
      'transcription-event',
    ]);
    const content = ofCall.filter((job) => job.data.event === 'transcription-content').map((job) => job.data);
    expect(content.map((data) => [data.track, data.text]).sort()).toEqual([
      ['inbound_track', 'Hi, I have a question about my bill.'],
      ['outbound_track', 'Sure, let me look that up.'],
    ]);
    const completed = ofCall.find((job) => job.data.callStatus === 'completed' && job.name === 'call-status');
    expect(completed?.data.callDuration).toEqual(expect.any(Number));
  });

  it('creates the auth user through supabase-js against the sandbox when SUPABASE_URL is set', async () => {
    const response = await fetch(`${h.ingress.url}/api/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({
        phone: '+14155550123',
        firstName: 'Grace',
        lastName: 'Hopper',
        email: 'grace@example.com',
      }),
    });
    expect(response.status).toBe(201);
    const { userId } = (await response.json()) as { userId: string };
    const authUser = await h.testDb.db
      .selectFrom('auth.users')
      .select(['phone', 'email', 'raw_user_meta_data'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(authUser).toMatchObject({ phone: '14155550123', email: 'grace@example.com' });
    const link = await h.testDb.db
      .selectFrom('phone_links')
      .select('phone_number')
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(link.phone_number).toBe('+14155550123');

    const again = await fetch(`${h.ingress.url}/api/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ phone: '4155550123', firstName: 'G', lastName: 'H' }),
    });
    expect(again.status).toBe(409);
  });

  it('adopts an auth user that Supabase created for an attempt that never wrote the profile', async () => {
    const supabase = createClient(h.sandbox?.url ?? '', SANDBOX_DEFAULTS.supabaseServiceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    const { data, error } = await supabase.auth.admin.createUser({ phone: '+14155550177' });
    if (error) throw error;

    const response = await fetch(`${h.ingress.url}/api/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ phone: '+14155550177', firstName: 'Katherine', lastName: 'Johnson' }),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ userId: data.user.id });
  });
});
