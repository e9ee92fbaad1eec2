/** What a `<Connect><ConversationRelay>` in an application's TwiML asks Twilio to do. */
export interface ConversationRelayTwiml {
  /** `<Connect action>`, resolved against the URL the TwiML came from; undefined without one. */
  action: string | undefined;
  /** Every attribute of `<ConversationRelay>` (`url`, `welcomeGreeting`, `voice`, …), unescaped. */
  attributes: Record<string, string>;
  /** The `<Parameter name value>` children, delivered in `setup.customParameters`. */
  parameters: Record<string, string>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (entity, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? entity;
  });
}

function attributesOf(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    const [, name, doubleQuoted, singleQuoted] = match;
    if (name) attributes[name] = unescapeXml(doubleQuoted ?? singleQuoted ?? '');
  }
  return attributes;
}

/**
 * The `<Connect><ConversationRelay>` of a TwiML document, or undefined when it has none.
 * TwiML is flat and machine-written, so a tag-level reading is enough here.
 */
export function readConversationRelay(twiml: string, documentUrl: string): ConversationRelayTwiml | undefined {
  const connect = /<Connect\b([^>]*?)>([\s\S]*?)<\/Connect>/.exec(twiml);
  const relay = connect?.[2] && /<ConversationRelay\b([^>]*?)(?:\/>|>([\s\S]*?)<\/ConversationRelay>)/.exec(connect[2]);
  if (!connect || !relay) return undefined;
  const action = attributesOf(connect[1] ?? '').action;
  const parameters: Record<string, string> = {};
  for (const parameter of (relay[2] ?? '').matchAll(/<Parameter\b([^>]*?)\/?>/g)) {
    const { name, value } = attributesOf(parameter[1] ?? '');
    if (name !== undefined) parameters[name] = value ?? '';
  }
  return {
    action: action === undefined ? undefined : new URL(action, documentUrl).toString(),
    attributes: attributesOf(relay[1] ?? ''),
    parameters,
  };
}
