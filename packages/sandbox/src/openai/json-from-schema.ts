/** A JSON Schema, as far as structured-output requests use it. */
export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  format?: string;
  default?: unknown;
};

/** What the generated values are drawn from: the summary and the key sentences of the input. */
export interface SchemaSource {
  summary: string;
  sentences: string[];
}

const MAX_DEPTH = 12;
const DEFAULT_ITEMS = 3;

const FORMATTED: Record<string, string> = {
  'date-time': '2025-01-01T00:00:00Z',
  date: '2025-01-01',
  time: '00:00:00',
  email: 'sandbox@example.com',
  uri: 'https://example.com/',
  uuid: '00000000-0000-4000-8000-000000000000',
};

function resolveRef(root: JsonSchema, ref: string): JsonSchema {
  if (!ref.startsWith('#')) return {};
  const path = ref.slice(1).split('/').filter(Boolean);
  let node: unknown = root;
  for (const segment of path) {
    node = (node as Record<string, unknown> | undefined)?.[segment.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return (node as JsonSchema | undefined) ?? {};
}

function typeOf(schema: JsonSchema): string | undefined {
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const nonNull = types.find((t) => t !== 'null');
  if (nonNull) return nonNull;
  if (types.includes('null')) return 'null';
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return undefined;
}

function stringFor(schema: JsonSchema, text: string): string {
  const base = (schema.format && FORMATTED[schema.format]) || text;
  const capped = schema.maxLength !== undefined ? base.slice(0, schema.maxLength) : base;
  return capped.padEnd(schema.minLength ?? 0, '.');
}

function numberFor(schema: JsonSchema, integer: boolean): number {
  const lower = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
  const upper = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : lower);
  const value = Math.min(Math.max(lower, 0), upper);
  return integer ? Math.ceil(value) : value;
}

interface WalkContext {
  root: JsonSchema;
  source: SchemaSource;
  /** The text a string at this position gets: the summary, or the sentence an array item stands for. */
  text: string;
  depth: number;
}

function walk(schema: JsonSchema, ctx: WalkContext): unknown {
  if (ctx.depth > MAX_DEPTH) return null;
  if (schema.$ref) return walk(resolveRef(ctx.root, schema.$ref), { ...ctx, depth: ctx.depth + 1 });
  if (schema.const !== undefined) return schema.const;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices && choices.length > 0) {
    const preferred = choices.find((c) => typeOf(c) !== 'null') ?? choices[0];
    return walk(preferred ?? {}, { ...ctx, depth: ctx.depth + 1 });
  }
  if (schema.allOf?.[0]) return walk(Object.assign({}, ...schema.allOf), { ...ctx, depth: ctx.depth + 1 });

  switch (typeOf(schema)) {
    case 'string':
      return stringFor(schema, ctx.text);
    case 'integer':
      return numberFor(schema, true);
    case 'number':
      return numberFor(schema, false);
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array': {
      const available = Math.min(ctx.source.sentences.length, DEFAULT_ITEMS);
      const count = Math.min(Math.max(available, schema.minItems ?? 0), schema.maxItems ?? Number.POSITIVE_INFINITY);
      return Array.from({ length: count }, (_, i) =>
        walk(schema.items ?? {}, {
          ...ctx,
          text: ctx.source.sentences[i % Math.max(1, ctx.source.sentences.length)] ?? ctx.source.summary,
          depth: ctx.depth + 1,
        }),
      );
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      const keys = new Set([...Object.keys(schema.properties ?? {}), ...(schema.required ?? [])]);
      for (const key of keys) {
        out[key] = walk(schema.properties?.[key] ?? {}, { ...ctx, depth: ctx.depth + 1 });
      }
      return out;
    }
    default:
      return schema.default ?? ctx.text;
  }
}

/**
 * A value valid for a structured-output JSON Schema, built deterministically from the
 * input: strings carry the summary (array items the key sentences), enums their first
 * value, numbers their minimum (or 0), booleans false, objects every property.
 */
export function jsonFromSchema(schema: JsonSchema, source: SchemaSource): unknown {
  return walk(schema, { root: schema, source, text: source.summary, depth: 0 });
}
