/** GSM 03.38 basic character set: one septet each. */
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** GSM 03.38 extension table: an escape septet plus one, so two each. */
const GSM7_EXTENDED = new Set('\f^{}\\[~]|€');

const SINGLE = { gsm7: 160, ucs2: 70 } as const;
const MULTIPART = { gsm7: 153, ucs2: 67 } as const;

export type SmsEncoding = 'gsm7' | 'ucs2';

export function smsEncoding(body: string): SmsEncoding {
  for (const char of body) {
    if (!GSM7_BASIC.has(char) && !GSM7_EXTENDED.has(char)) return 'ucs2';
  }
  return 'gsm7';
}

/** The cost of each character in its encoding's units: septets for GSM-7, UTF-16 code units for UCS-2. */
function units(body: string, encoding: SmsEncoding): number[] {
  return [...body].map((char) => (encoding === 'gsm7' ? (GSM7_EXTENDED.has(char) ? 2 : 1) : char.length));
}

/**
 * How many SMS segments Twilio bills for a body: 160 GSM-7 septets (70 UCS-2 units) fit in
 * one; longer bodies are split into parts of 153 (67), never splitting an escape sequence or
 * a surrogate pair across two parts.
 */
export function countSegments(body: string): { encoding: SmsEncoding; segments: number } {
  const encoding = smsEncoding(body);
  const costs = units(body, encoding);
  const total = costs.reduce((sum, cost) => sum + cost, 0);
  if (total <= SINGLE[encoding]) return { encoding, segments: 1 };
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > MULTIPART[encoding]) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return { encoding, segments };
}
