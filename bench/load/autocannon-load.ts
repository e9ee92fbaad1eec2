// Load generator, run in its own process: `node autocannon-load.ts '<json options>'`.
// Sends pre-signed status callbacks (one distinct MessageSid per request) and prints a JSON summary.
import autocannon from 'autocannon';
import { type LoadOptions, twilioSignedStatusUrl } from '../lib/load.ts';
import { signedStatusCallbacks } from './signed-status-callbacks.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
// Enough distinct callbacks for the duration at the fastest rate seen here; beyond them the list repeats.
const planned = options.amount ?? Math.ceil(20_000 * (options.durationSeconds ?? 10) * 1.2);
const requests = signedStatusCallbacks(planned, {
  authToken: options.authToken,
  url: twilioSignedStatusUrl(options.publicUrl),
  sids: options.sids,
  sidSeed: options.sidSeed,
  firstIndex: options.sidOffset,
});
let next = 0;

autocannon(
  {
    url: options.target,
    connections: options.connections,
    // autocannon rejects keys present with an undefined value, so only set ones are passed.
    ...(options.amount ? { amount: options.amount } : { duration: options.durationSeconds ?? 10 }),
    ...(options.timeoutSeconds ? { timeout: options.timeoutSeconds } : {}),
    requests: [
      {
        method: 'POST',
        path: new URL(options.publicUrl).pathname,
        setupRequest: (request) => {
          const signed = requests[next % requests.length] as (typeof requests)[number];
          next += 1;
          return {
            ...request,
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              'x-twilio-signature': signed.signature,
            },
            body: signed.body,
          };
        },
      },
    ],
  },
  (error, result) => {
    if (error) {
      console.error(error.message);
      process.exit(1);
    }
    const summary = {
      requestsPerSecond: result.requests.average,
      total: result.requests.total,
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      latencyMaxMs: result.latency.max,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      ok: result['2xx'],
      durationSeconds: result.duration,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  },
);
