/**
 * Whether node-llama-cpp's JSON-schema grammar can enforce a schema. Its grammar silently
 * ignores keywords it does not know (a `pattern`, a `format: "uri"`), which would let an
 * answer that breaks the schema pass as one that matches it: those are refused up front,
 * naming the keyword and where it is. Pure, so the core checks a request before queuing it.
 */
const IMMUTABLE_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const FORMATS = new Set(['date-time', 'time', 'date']);
/** Annotations that change nothing the grammar must enforce. */
const ANNOTATIONS = ['description', 'title', '$schema', '$comment', 'default', 'examples', '$id'];
const KEYWORDS: Record<string, readonly string[]> = {
  string: ['type', 'minLength', 'maxLength', 'format'],
  object: ['type', 'properties', 'additionalProperties', 'minProperties', 'maxProperties', 'required', '$defs'],
  array: ['type', 'items', 'prefixItems', 'minItems', 'maxItems', '$defs'],
  basic: ['type'],
  const: ['const'],
  enum: ['enum'],
  oneOf: ['oneOf', '$defs'],
  ref: ['$ref', '$defs'],
};

/** Why the schema cannot be enforced, or null when it can. */
export function unsupportedSchema(schema: unknown, path = 'the schema'): string | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return `${path} is not an object`;
  const record = schema as Record<string, unknown>;
  const kind = kindOf(record);
  if (typeof kind !== 'string' || !(kind in KEYWORDS)) return kind === null ? `${path} has no type, const, enum, oneOf or $ref` : `${path}: ${kind.slice(1)}`;
  const allowed = new Set([...(KEYWORDS[kind] ?? []), ...ANNOTATIONS]);
  const unknown = Object.keys(record).find((key) => !allowed.has(key));
  if (unknown !== undefined) return `${path} uses "${unknown}", which Burrow's grammar cannot enforce`;
  return checkNumbers(record, path) ?? checkChildren(record, path);
}

function kindOf(record: Record<string, unknown>): string | null {
  if ('const' in record) return 'const';
  if ('enum' in record) return Array.isArray(record.enum) && record.enum.every((value) => value === null || ['string', 'number', 'boolean'].includes(typeof value)) ? 'enum' : '!its enum is not a list of plain values';
  if ('oneOf' in record) return Array.isArray(record.oneOf) ? 'oneOf' : '!its oneOf is not a list';
  if ('$ref' in record) return typeof record.$ref === 'string' && record.$ref.startsWith('#/$defs/') ? 'ref' : '!only "#/$defs/…" references are supported';
  if ('anyOf' in record || 'allOf' in record) return `!"${'anyOf' in record ? 'anyOf' : 'allOf'}" is not supported (use oneOf)`;
  const type = record.type;
  if (type === undefined) return null;
  if (type === 'object' || type === 'array' || type === 'string') {
    if (type === 'string' && record.format !== undefined && !FORMATS.has(String(record.format))) return `!the format "${String(record.format)}" is not supported (date-time, time or date)`;
    return type;
  }
  const types = Array.isArray(type) ? type : [type];
  if (types.length > 0 && types.every((item) => typeof item === 'string' && IMMUTABLE_TYPES.has(item))) return 'basic';
  return `!the type ${JSON.stringify(type)} is not supported`;
}

function checkNumbers(record: Record<string, unknown>, path: string): string | null {
  for (const key of ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties']) {
    const value = record[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0)) return `${path}: "${key}" must be a whole number`;
  }
  return null;
}

function checkChildren(record: Record<string, unknown>, path: string): string | null {
  const children: Array<[unknown, string]> = [];
  if (record.properties !== undefined) {
    if (typeof record.properties !== 'object' || record.properties === null) return `${path}: "properties" is not an object`;
    for (const [key, value] of Object.entries(record.properties)) children.push([value, `${path}.properties.${key}`]);
  }
  if (typeof record.additionalProperties === 'object') children.push([record.additionalProperties, `${path}.additionalProperties`]);
  if (record.items !== undefined) children.push([record.items, `${path}.items`]);
  for (const [key, list] of [['prefixItems', record.prefixItems], ['oneOf', record.oneOf]] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) return `${path}: "${key}" is not a list`;
    list.forEach((value: unknown, i) => children.push([value, `${path}.${key}[${i}]`]));
  }
  if (record.$defs !== undefined) {
    if (typeof record.$defs !== 'object' || record.$defs === null) return `${path}: "$defs" is not an object`;
    for (const [key, value] of Object.entries(record.$defs)) children.push([value, `${path}.$defs.${key}`]);
  }
  for (const [child, childPath] of children) {
    const problem = unsupportedSchema(child, childPath);
    if (problem !== null) return problem;
  }
  return null;
}
