import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SANDBOX_DEFAULTS } from '@series-killer/shared';
import { type Sandbox, startSandbox } from '../../sandbox.ts';
import { messagesPage } from './list-messages.ts';
import { messageResource } from './message-resource.ts';
import type { SandboxMessage } from './message-store.ts';

// The list envelopes below are Twilio's own examples of `GET /2010-04-01/Accounts/{AccountSid}/Messages.json`
// in its published OpenAPI description (github.com/twilio/twilio-oai, spec/json/twilio_api_v2010.json,
// responses 200 examples `readEmptySentdateLess` and `readFullPage1`), without their `messages`.
const EXAMPLE_ACCOUNT = 'ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const LIST_PATH = `/2010-04-01/Accounts/${EXAMPLE_ACCOUNT}/Messages.json`;

const readEmptySentdateLess = {
  end: 0,
  first_page_uri: `${LIST_PATH}?To=%2B123456789&From=%2B987654321&DateSent%3C=2008-01-02&PageSize=25&Page=0`,
  next_page_uri: null,
  page: 0,
  page_size: 25,
  previous_page_uri: null,
  start: 0,
  uri: `${LIST_PATH}?To=%2B123456789&From=%2B987654321&DateSent%3C=2008-01-02&PageSize=25&Page=0`,
};

const readFullPage1 = {
  end: 1,
  first_page_uri: `${LIST_PATH}?To=%2B123456789&From=%2B987654321&DateSent%3E=2008-01-02&PageSize=2&Page=0`,
  next_page_uri: `${LIST_PATH}?To=%2B123456789&From=%2B987654321&DateSent%3E=2008-01-02&PageSize=2&Page=1&PageToken=PAMMc26223853f8c46b4ab7dfaa6abba0a26`,
  page: 0,
  page_size: 2,
  previous_page_uri: null,
  start: 0,
  uri: `${LIST_PATH}?To=%2B123456789&From=%2B987654321&DateSent%3E=2008-01-02&PageSize=2&Page=0`,
};

function envelope(page: Record<string, unknown>): Record<string, unknown> {
  const { messages: _messages, ...rest } = page;
  return rest;
}

function message(sid: string, dateSent: string): SandboxMessage {
  const sent = Date.parse(dateSent);
  return {
    sid,
    accountSid: EXAMPLE_ACCOUNT,
    to: '+123456789',
    from: '+987654321',
    body: 'testing',
    status: 'sent',
    statusCallback: null,
    messagingServiceSid: null,
    receivedAt: sent,
    errorCode: null,
    numSegments: 1,
    numMedia: 0,
    dateSent: sent,
    dateUpdated: sent,
  };
}

describe("the Messages list envelope, against Twilio's OpenAPI examples", () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({ accountSid: EXAMPLE_ACCOUNT, authToken: SANDBOX_DEFAULTS.twilioAuthToken });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('answers an empty list as readEmptySentdateLess: start 0, end 0', async () => {
    const query = new URLSearchParams({
      To: '+123456789',
      From: '+987654321',
      'DateSent<': '2008-01-02',
      PageSize: '25',
      Page: '0',
    });
    const response = await fetch(`${sandbox.url}${LIST_PATH}?${query}`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${EXAMPLE_ACCOUNT}:${SANDBOX_DEFAULTS.twilioAuthToken}`).toString('base64')}`,
      },
    });
    expect(response.status).toBe(200);
    const page = (await response.json()) as Record<string, unknown>;
    expect(page.messages).toEqual([]);
    expect(envelope(page)).toEqual(readEmptySentdateLess);
  });

  it('answers a first page of two with more to come as readFullPage1', () => {
    // Newest last in the store, as created; the example's second message is MMc262….
    const messages = [
      message('SM00000000000000000000000000000001', '2019-05-24T17:44:48Z'),
      message('MMc26223853f8c46b4ab7dfaa6abba0a26', '2019-05-24T17:44:49Z'),
      message('SMded05904ccb347238880ca9264e8fe1c', '2019-05-24T17:44:50Z'),
    ];
    const query = { To: '+123456789', From: '+987654321', 'DateSent>': '2008-01-02', PageSize: '2', Page: '0' };
    const page = messagesPage(messages, query, LIST_PATH, 2, messageResource);
    expect(envelope(page)).toEqual(readFullPage1);
    expect(page.messages).toHaveLength(2);
  });
});
