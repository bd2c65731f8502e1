/**
 * The per-conversation settings form: text fields to values and back. Empty means "Burrow's
 * default" (null); anything out of range is an error to show, never silently clamped.
 */
import type { ConversationSettings } from '../../shared/contract';
import { MAX_SYSTEM_PROMPT_CHARS } from '../../shared/limits';

export interface SettingsDraft {
  systemPrompt: string;
  temperature: string;
  topP: string;
  maxTokens: string;
}

export const SYSTEM_PROMPT_MAX = MAX_SYSTEM_PROMPT_CHARS;

export function toDraft(settings: ConversationSettings | null): SettingsDraft {
  return {
    systemPrompt: settings?.systemPrompt ?? '',
    temperature: settings?.temperature == null ? '' : String(settings.temperature),
    topP: settings?.topP == null ? '' : String(settings.topP),
    maxTokens: settings?.maxTokens == null ? '' : String(settings.maxTokens),
  };
}

export type ParsedDraft = { ok: true; value: ConversationSettings } | { ok: false; field: keyof SettingsDraft; message: string };

function number(text: string, min: number, max: number, integer: boolean): number | null | string {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return 'must be a number';
  if (integer && !Number.isInteger(value)) return 'must be a whole number';
  if (value < min || value > max) return `must be between ${min} and ${max.toLocaleString('en-US')}`;
  return value;
}

export function fromDraft(draft: SettingsDraft): ParsedDraft {
  const temperature = number(draft.temperature, 0, 2, false);
  if (typeof temperature === 'string') return { ok: false, field: 'temperature', message: `Temperature ${temperature}.` };
  const topP = number(draft.topP, 0, 1, false);
  if (typeof topP === 'string') return { ok: false, field: 'topP', message: `Top P ${topP}.` };
  const maxTokens = number(draft.maxTokens, 1, 32_768, true);
  if (typeof maxTokens === 'string') return { ok: false, field: 'maxTokens', message: `Longest answer ${maxTokens}.` };
  if (draft.systemPrompt.length > SYSTEM_PROMPT_MAX) return { ok: false, field: 'systemPrompt', message: `The system prompt must be at most ${SYSTEM_PROMPT_MAX.toLocaleString('en-US')} characters.` };
  const systemPrompt = draft.systemPrompt.trim() === '' ? null : draft.systemPrompt;
  return { ok: true, value: { systemPrompt, temperature, topP, maxTokens } };
}
