import { type SignatureAlgorithm, type WebhookSigner, webhookSigner } from './twilio-signature.ts';

/** The signing key a Twilio Webhook Rule names in `X-Twilio-Webhooks-Signature-Settings`. */
export interface WebhookSharedKey {
  /** The key's secret. */
  secret: string;
  /** The key's id as the header names it; unset accepts any id. */
  id?: string;
}

/** The keys Twilio may sign a request with. */
export interface TwilioSigningKeys {
  /** The account's auth token: the key of signatures made without a Webhook Rule. */
  authToken: string;
  /** The shared key of a Webhook Rule; unset refuses requests signed under one. */
  sharedKey?: WebhookSharedKey;
}

/** The header by which a Webhook Rule announces its algorithm and key. */
export const SIGNATURE_SETTINGS_HEADER = 'X-Twilio-Webhooks-Signature-Settings';

const SHARED_KEY_ALGORITHMS: readonly SignatureAlgorithm[] = ['HMAC_SHA1', 'HMAC_SHA256'];

/** A request names a signing key or algorithm that is not accepted; the message says which. */
export class TwilioSignatureRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TwilioSignatureRefusedError';
  }
}

/** The signers of the configured keys, made once. */
export interface Signers {
  /** The auth token's: signatures made without a Webhook Rule. */
  authToken: WebhookSigner;
  /** A Webhook Rule's shared key: its id (unset accepts any) and its signer in each algorithm. */
  sharedKey?: { id?: string; byAlgorithm: Record<SignatureAlgorithm, WebhookSigner> };
}

export function signersOf({ authToken, sharedKey }: TwilioSigningKeys): Signers {
  return {
    authToken: webhookSigner('HMAC_SHA1', authToken),
    sharedKey: sharedKey && {
      id: sharedKey.id,
      byAlgorithm: {
        HMAC_SHA1: webhookSigner('HMAC_SHA1', sharedKey.secret),
        HMAC_SHA256: webhookSigner('HMAC_SHA256', sharedKey.secret),
      },
    },
  };
}

/**
 * The signer to check a request with: the auth token's, or that of the shared key its
 * `X-Twilio-Webhooks-Signature-Settings` header names. Throws TwilioSignatureRefusedError for an
 * algorithm or key that is not configured.
 */
export function signerOf(header: string | undefined, signers: Signers): WebhookSigner {
  if (header === undefined) return signers.authToken;
  const settings = new Map(
    header.split(',').map((part) => {
      const [name = '', ...value] = part.trim().split('=');
      return [name.trim(), value.join('=').trim()] as const;
    }),
  );
  const algorithm = settings.get('algorithm') ?? '';
  if (!SHARED_KEY_ALGORITHMS.includes(algorithm as SignatureAlgorithm))
    throw new TwilioSignatureRefusedError(`unsupported webhook signature algorithm "${algorithm}"`);
  const { sharedKey } = signers;
  if (!sharedKey) throw new TwilioSignatureRefusedError('webhook signed with a shared key, and none is configured');
  if (sharedKey.id !== undefined && settings.get('key') !== sharedKey.id)
    throw new TwilioSignatureRefusedError('webhook signed with an unknown shared key');
  return sharedKey.byAlgorithm[algorithm as SignatureAlgorithm];
}
