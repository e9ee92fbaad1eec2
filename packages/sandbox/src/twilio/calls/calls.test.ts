import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { waitFor } from '@series-killer/shared/testing';
import { createTwilioClient, type TwilioClient } from '@series-killer/shared/twilio';
import { type Sandbox, startSandbox } from '../../sandbox.ts';
import { twilioRejectionOf } from '../../testing/twilio-rejection.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../testing/webhook-receiver.ts';
import { twilioPage } from '../paging/twilio-page.ts';
import { callResource } from './call-resource.ts';
import type { SandboxCall } from './call-store.ts';

const accountSid = SANDBOX_DEFAULTS.twilioAccountSid;
const authToken = SANDBOX_DEFAULTS.twilioAuthToken;
const from = SANDBOX_DEFAULTS.twilioFromNumber;

let sandbox: Sandbox;
let client: TwilioClient;
let app: WebhookReceiver;

beforeAll(async () => {
  sandbox = await startSandbox({ accountSid, authToken });
  client = createTwilioClient({ accountSid, authToken, apiBaseUrl: sandbox.url });
  app = await startWebhookReceiver(authToken);
  app.respondWith((webhook) => (webhook.path === '/twilio/voice' ? 200 : 204));
});

beforeEach(() => {
  sandbox.reset();
  app.received.length = 0;
});

afterAll(async () => {
  await sandbox.close();
  await app.close();
});

function place(to: string, extra: Record<string, unknown> = {}) {
  return client.calls.create({
    to,
    from,
    url: `${app.url}/twilio/voice`,
    statusCallback: `${app.url}/twilio/voice/status`,
    statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    ...extra,
  });
}

/** The status callbacks of one call, once its final one has arrived. */
async function statusCallbacksOf(callSid: string, final: string) {
  return waitFor(`the ${final} callback of ${callSid}`, () => {
    const callbacks = app.received.filter((w) => w.path === '/twilio/voice/status' && w.params.CallSid === callSid);
    return callbacks.some((w) => w.params.CallStatus === final) && callbacks;
  });
}

describe('Calls API', () => {
  it('places a call: queued at once, then initiated, ringing, answered with a TwiML request, completed', async () => {
    const call = await place('+14155550100');
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(call.status).toBe('queued');
    expect(call.direction).toBe('outbound-api');
    expect(call.to).toBe('+14155550100');
    expect(call.from).toBe(from);
    expect(call.uri).toBe(`/2010-04-01/Accounts/${accountSid}/Calls/${call.sid}.json`);

    const callbacks = await statusCallbacksOf(call.sid, 'completed');
    expect(callbacks.map((w) => [w.params.CallStatus, w.params.SequenceNumber])).toEqual([
      ['initiated', '0'],
      ['ringing', '1'],
      ['in-progress', '2'],
      ['completed', '3'],
    ]);
    expect(callbacks.every((w) => w.validSignature && w.params.Direction === 'outbound-api')).toBe(true);
    expect(callbacks.at(-1)?.params.CallDuration).toBe('0');
    const twimlRequest = app.received.find((w) => w.path === '/twilio/voice' && w.params.CallSid === call.sid);
    expect(twimlRequest).toMatchObject({
      validSignature: true,
      params: { CallStatus: 'in-progress', To: '+14155550100' },
    });
    expect(twimlRequest?.params.AnsweredBy).toBeUndefined();

    const fetched = await client.calls(call.sid).fetch();
    expect(fetched.status).toBe('completed');
    expect(fetched.startTime).toBeInstanceOf(Date);
    expect(fetched.duration).toBe('0');
  });

  it('sends only the completed event when no StatusCallbackEvent is given, as Twilio defaults', async () => {
    const call = await client.calls.create({
      to: '+14155550101',
      from,
      twiml: '<Response><Say>Hello</Say></Response>',
      statusCallback: `${app.url}/twilio/voice/status`,
    });
    const callbacks = await statusCallbacksOf(call.sid, 'completed');
    expect(callbacks.map((w) => w.params.CallStatus)).toEqual(['completed']);
    expect(app.received.some((w) => w.path === '/twilio/voice')).toBe(false);
  });

  it('reports what answering-machine detection found, in the TwiML request or asynchronously', async () => {
    sandbox.setCallModeFor('+14155550102', { answeredBy: 'machine_end_beep' });
    const blocking = await place('+14155550102', { machineDetection: 'DetectMessageEnd' });
    const asynchronous = await place('+14155550103', {
      machineDetection: 'Enable',
      asyncAmd: 'true',
      asyncAmdStatusCallback: `${app.url}/twilio/voice/amd`,
    });
    await statusCallbacksOf(blocking.sid, 'completed');
    await statusCallbacksOf(asynchronous.sid, 'completed');
    const twimlOf = (sid: string) => app.received.find((w) => w.path === '/twilio/voice' && w.params.CallSid === sid);
    expect(twimlOf(blocking.sid)?.params.AnsweredBy).toBe('machine_end_beep');
    expect(twimlOf(asynchronous.sid)?.params.AnsweredBy).toBeUndefined();
    const amd = app.received.find((w) => w.path === '/twilio/voice/amd');
    expect(amd?.params).toMatchObject({ CallSid: asynchronous.sid, AnsweredBy: 'human' });
    expect((await client.calls(blocking.sid).fetch()).answeredBy).toBe('machine_end_beep');
  });

  it('ends busy, unanswered and failed calls after ringing, without a TwiML request', async () => {
    const outcomes = ['busy', 'no-answer', 'failed'] as const;
    const calls = [];
    for (const [index, outcome] of outcomes.entries()) {
      const to = `+1415555020${index}`;
      sandbox.setCallModeFor(to, { outcome });
      calls.push(await place(to));
    }
    for (const [index, call] of calls.entries()) {
      const callbacks = await statusCallbacksOf(call.sid, outcomes[index] as string);
      expect(callbacks.map((w) => w.params.CallStatus)).toEqual(['initiated', 'ringing', outcomes[index]]);
    }
    expect(app.received.some((w) => w.path === '/twilio/voice')).toBe(false);
  });

  it('cancels a ringing call, and hangs up an answered one', async () => {
    sandbox.setCallModeFor('+14155550300', { ringMs: 60_000 });
    sandbox.setCallModeFor('+14155550301', { talkMs: 60_000 });
    const ringing = await place('+14155550300');
    const answered = await place('+14155550301');
    await waitFor('the first call to ring', async () => (await client.calls(ringing.sid).fetch()).status === 'ringing');
    await waitFor(
      'the second call to be answered',
      async () => (await client.calls(answered.sid).fetch()).status === 'in-progress',
    );

    const refused = await twilioRejectionOf(client.calls(answered.sid).update({ status: 'canceled' }));
    expect(refused.code).toBe(21220);
    expect((await client.calls(ringing.sid).update({ status: 'canceled' })).status).toBe('canceled');
    expect((await client.calls(answered.sid).update({ status: 'completed' })).status).toBe('completed');
    const ringingCallbacks = await statusCallbacksOf(ringing.sid, 'canceled');
    const answeredCallbacks = await statusCallbacksOf(answered.sid, 'completed');
    expect(ringingCallbacks.map((w) => w.params.CallStatus)).toEqual(['initiated', 'ringing', 'canceled']);
    expect(answeredCallbacks.map((w) => w.params.CallStatus)).toEqual([
      'initiated',
      'ringing',
      'in-progress',
      'completed',
    ]);
  });

  it("refuses what Twilio refuses, with Twilio's error codes", async () => {
    const cases: [Promise<unknown>, number][] = [
      [client.calls.create({ to: '+15005550001', from, url: `${app.url}/twilio/voice` }), 21217],
      [client.calls.create({ to: '+15005550002', from, url: `${app.url}/twilio/voice` }), 21214],
      [client.calls.create({ to: '+15005550003', from, url: `${app.url}/twilio/voice` }), 21215],
      [client.calls.create({ to: '+15005550004', from, url: `${app.url}/twilio/voice` }), 21216],
      [client.calls.create({ to: 'not a number', from, url: `${app.url}/twilio/voice` }), 21211],
      [client.calls.create({ to: '+14155550100', from, url: 'not a url' }), 21205],
      [client.calls.create({ to: '+14155550100', from } as never), 21205],
      [client.calls('CA00000000000000000000000000000000').fetch(), 20404],
    ];
    for (const [request, code] of cases) expect((await twilioRejectionOf(request)).code).toBe(code);
    expect(sandbox.calls()).toEqual([]);
  });

  it('lists calls newest first, filtered by number and status', async () => {
    const first = await place('+14155550400');
    const second = await place('+14155550401');
    await statusCallbacksOf(first.sid, 'completed');
    await statusCallbacksOf(second.sid, 'completed');
    expect((await client.calls.list()).map((call) => call.sid)).toEqual([second.sid, first.sid]);
    expect((await client.calls.list({ to: '+14155550400' })).map((call) => call.sid)).toEqual([first.sid]);
    expect(await client.calls.list({ status: 'busy' })).toEqual([]);
  });
});

// Twilio's own examples of `GET /2010-04-01/Accounts/{AccountSid}/Calls.json` in its published OpenAPI
// description (twilio-oai, spec/json/twilio_api_v2010.json, responses 200 `readFullPage1` and
// `readEmptyDatesGreater`), without their `calls`.
describe("the Calls list envelope, against Twilio's OpenAPI examples", () => {
  const account = 'ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const listPath = `/2010-04-01/Accounts/${account}/Calls.json`;
  const shape = {
    key: 'calls',
    filterKeys: ['Status', 'To', 'From', 'StartTime', 'StartTime>', 'ParentCallSid', 'EndTime', 'EndTime>'],
    toResource: callResource,
  };
  const call = (sid: string) => ({ sid }) as SandboxCall;
  const envelope = ({ calls: _calls, ...rest }: Record<string, unknown>) => rest;

  it('answers a first page of two with more to come as readFullPage1', () => {
    const query = {
      Status: 'completed',
      To: '+123456789',
      From: '+987654321',
      StartTime: '2008-01-02',
      ParentCallSid: 'CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      EndTime: '2009-01-02',
      PageSize: '2',
      Page: '0',
    };
    const calls = [
      call('CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab'),
      call('CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0'),
      call('CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1'),
    ];
    const page = twilioPage(calls, query, listPath, 2, { ...shape, toResource: (c: SandboxCall) => c.sid });
    const uri = `${listPath}?Status=completed&To=%2B123456789&From=%2B987654321&StartTime=2008-01-02&ParentCallSid=CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&EndTime=2009-01-02&PageSize=2&Page=0`;
    expect(envelope(page)).toEqual({
      end: 1,
      first_page_uri: uri,
      next_page_uri: `${listPath}?Status=completed&To=%2B123456789&From=%2B987654321&StartTime=2008-01-02&ParentCallSid=CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&EndTime=2009-01-02&PageSize=2&Page=1&PageToken=PACAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0`,
      page: 0,
      page_size: 2,
      previous_page_uri: null,
      start: 0,
      uri,
    });
  });

  it('answers an empty list as readEmptyDatesGreater: start 0, end 0', () => {
    const query = {
      Status: 'completed',
      To: '+123456789',
      'EndTime>': '2009-01-02',
      From: '+987654321',
      'StartTime>': '2008-01-02',
      ParentCallSid: 'CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      PageSize: '2',
      Page: '0',
    };
    const uri = `${listPath}?Status=completed&To=%2B123456789&EndTime%3E=2009-01-02&From=%2B987654321&StartTime%3E=2008-01-02&ParentCallSid=CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&PageSize=2&Page=0`;
    expect(envelope(twilioPage([], query, listPath, 2, shape))).toEqual({
      end: 0,
      first_page_uri: uri,
      next_page_uri: null,
      page: 0,
      page_size: 2,
      previous_page_uri: null,
      start: 0,
      uri,
    });
  });
});
