import { describe, expect, it } from '@jest/globals';
import twilio from 'twilio';
import { cachedSignedUrlForms, isTwilioSignature, signedUrlForms } from './signed-url-forms.ts';
import { webhookSigner } from './twilio-signature.ts';

// Known answers: twilio-node's own test vectors (spec/validation.spec.js), the example of
// Twilio's "Webhooks security" documentation (auth token 12345, this URL and these parameters).
const TOKEN = '12345';
const URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const SIGN = webhookSigner('HMAC_SHA1', TOKEN);

function valid(signature: string, url: string, params: Record<string, string | string[]> = PARAMS): boolean {
  return isTwilioSignature(signature, SIGN, [url], params);
}

describe("Twilio's signature, against its published known answers", () => {
  it('accepts the documented signature and refuses any other', () => {
    expect(valid('RSOYDt4T1cUTdK1PDd93/VVr8B8=', URL)).toBe(true);
    expect(valid('RSOYDt4T1cUTdK1PDd93/VVr8B8=', `${URL}&baz=3`)).toBe(false);
    expect(valid('RSOYDt4T1cUTdK1PDd93/VVr8B8=', URL, { ...PARAMS, Digits: '1235' })).toBe(false);
    expect(valid('WRONG_SIGNATURE', URL)).toBe(false);
    expect(valid('', URL)).toBe(false);
  });

  it('accepts a signature made without the port when the URL names one, and with the default port when it does not', () => {
    expect(valid('RSOYDt4T1cUTdK1PDd93/VVr8B8=', URL.replace('.com', '.com:1234'))).toBe(true);
    expect(valid('Zmvh+3yNM1Phv2jhDCwEM3q5ebU=', URL.replace('.com', '.com:1234').replace('https', 'http'))).toBe(true);
    expect(valid('kvajT1Ptam85bY51eRf/AJRuM3w=', URL)).toBe(true);
    expect(valid('0ZXoZLH/DfblKGATFgpif+LLRf4=', URL.replace('https', 'http'))).toBe(true);
  });

  it('signs credentials in the URL, and the query string as sent', () => {
    expect(valid('CukzLTc1tT5dXEDIHm/tKBanW10=', 'https://user:pass@mycompany.com/myapp.php?foo=1&bar=2')).toBe(true);
    expect(valid('2YRLlVAflCqxaNicjMpJcSTgzSs=', 'https://user@mycompany.com/myapp.php?foo=1&bar=2')).toBe(true);
    expect(valid('ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=', 'https://user:pass@mycompany.com/myapp.php?foo=1&bar=2')).toBe(true);
    expect(valid('TfZzewPq8wqrGlMfyAud8+/IvJ0=', `${URL}&Body=It's+amazing`)).toBe(true);
  });

  it('signs every distinct value of a repeated parameter, in order, whatever order they came in', () => {
    const addresses = { 'MessagingBinding.Address': ['+1325xxxxxxx', '+1415xxxxxxx'] };
    expect(valid('83O6e2vORAoJHUNzJjDWN1jz+BA=', URL, addresses)).toBe(true);
    expect(
      valid('83O6e2vORAoJHUNzJjDWN1jz+BA=', URL, { 'MessagingBinding.Address': ['+1415xxxxxxx', '+1325xxxxxxx'] }),
    ).toBe(true);
    expect(
      valid('IK+Dwps556ElfBT0I3Rgjkr1wJU=', URL, {
        Sid: 'CA123',
        SidAccount: 'AC123',
        Digits: ['5678', '1234', '1234'],
      }),
    ).toBe(true);
  });

  it('accepts a URL Twilio was given with a connection-override fragment, signed as twilio-node signs it', () => {
    // twilio-node's validateRequest keeps the fragment of the URL it is given (URL#toString keeps the hash),
    // and the fragment never reaches the server: the configured one is tried alongside the bare URL.
    const withFragment = `${URL}#rc=3&rp=all`;
    const signature = twilio.getExpectedTwilioSignature(TOKEN, withFragment, PARAMS);
    expect(signature).toBe('s4R/B6NjiDGpNbVQF/sBrWQHFvM='); // also Python's hmac over the same string
    expect(isTwilioSignature(signature, SIGN, [URL, withFragment], PARAMS)).toBe(true);
    expect(isTwilioSignature(signature, SIGN, [URL], PARAMS)).toBe(false);
    expect(isTwilioSignature(signature, SIGN, [`${URL}#rc=5`], PARAMS)).toBe(false);
  });

  it('checks a Webhook Rule signature: HMAC-SHA256 over the same string, under the shared key', () => {
    // Computed independently with Python's hmac module: base64(HMAC-SHA256(key, URL + sorted name/value pairs)).
    const signature = '9SHv4sPLstTtwih8FQm9vpRSOqgeWQnTKCQqp80F4hQ=';
    expect(isTwilioSignature(signature, webhookSigner('HMAC_SHA256', 'a-webhook-rule-shared-key'), [URL], PARAMS)).toBe(
      true,
    );
    expect(isTwilioSignature(signature, webhookSigner('HMAC_SHA256', TOKEN), [URL], PARAMS)).toBe(false);
    expect(isTwilioSignature(signature, webhookSigner('HMAC_SHA1', 'a-webhook-rule-shared-key'), [URL], PARAMS)).toBe(
      false,
    );
  });

  it('tries the URL as written first: with its port when it names one, without when it does not', () => {
    const withPort = URL.replace('.com', '.com:1234');
    expect(signedUrlForms(withPort).slice(0, 2)).toEqual([withPort, URL]);
    expect(signedUrlForms(URL).slice(0, 2)).toEqual([URL, URL.replace('.com', '.com:443')]);
  });

  it('gives the same answers from the remembered URL forms, also once more URLs came than it keeps', () => {
    const formsOf = cachedSignedUrlForms();
    const withPort = URL.replace('.com', '.com:1234');
    for (let call = 0; call < 2; call += 1) {
      expect(isTwilioSignature('RSOYDt4T1cUTdK1PDd93/VVr8B8=', SIGN, [withPort], PARAMS, formsOf)).toBe(true);
      expect(isTwilioSignature('WRONG_SIGNATURE', SIGN, [withPort], PARAMS, formsOf)).toBe(false);
    }
    for (let n = 0; n < 1_001; n += 1) formsOf(`${URL}&call=${n}`);
    expect(formsOf(withPort)).toEqual(signedUrlForms(withPort));
    expect(isTwilioSignature('RSOYDt4T1cUTdK1PDd93/VVr8B8=', SIGN, [withPort], PARAMS, formsOf)).toBe(true);
  });
});
