/**
 * Burrow's preferences: defaults and limits (the contract's AppSettings schema enforces them),
 * and the prompts the quick window's "Use clipboard" actions send. No zod here, so the renderer
 * imports it without bundling a schema library (our CSP forbids what zod probes).
 */
import type { AppSettings, PromptTemplate } from './schemas/settings';
import { MAX_MESSAGE_CHARS } from './limits';

export const DEFAULT_QUICK_SHORTCUT = 'CommandOrControl+Shift+Space';
export const THEMES = ['system', 'light', 'dark'] as const;

export const MAX_DEFAULT_SYSTEM_PROMPT_CHARS = 20_000;
export const MAX_ANSWER_TOKENS = 32_768;
export const MAX_THREADS_SETTING = 1024;
/** 1 TiB: a budget is a cap, not a reservation. */
export const MAX_SAVED_STATE_BUDGET_MB = 1024 * 1024;
export const DEFAULT_SAVED_STATE_BUDGET_MB = 2048;
export const MAX_LANGUAGE_CHARS = 60;
export const MAX_PROMPT_TEMPLATES = 20;
export const MAX_TEMPLATE_NAME_CHARS = 60;
export const MAX_TEMPLATE_PROMPT_CHARS = 4000;

/** What a fresh Burrow uses. null: Burrow's (or the model's) own choice. */
export const DEFAULT_APP_SETTINGS: AppSettings = Object.freeze({
  shortcut: DEFAULT_QUICK_SHORTCUT,
  shortcutEnabled: true,
  theme: 'system',
  systemPrompt: '',
  temperature: null,
  topP: null,
  maxTokens: null,
  contextSize: null,
  gpuLayers: null,
  threads: null,
  savedStateBudgetMB: null,
  launchAtLogin: false,
  escCancelsQuickAnswer: false,
  saveQuickPrompts: true,
  offlineMode: false,
  translateTo: 'English',
  promptTemplates: [],
}) as AppSettings;

// ── "Use clipboard" in the quick window ────────────────────────────────────────────────

export type BuiltInAction = 'summarise' | 'explain' | 'translate' | 'fix-grammar';

export interface ClipboardAction {
  /** A built-in action, or `template:<id>` for one of the user's templates. */
  id: string;
  label: string;
}

const BUILT_IN: Record<BuiltInAction, { label: (language: string) => string; prompt: (language: string) => string }> = {
  summarise: { label: () => 'Summarise', prompt: () => 'Summarise the following text in a few sentences.' },
  explain: { label: () => 'Explain', prompt: () => 'Explain the following text in plain language.' },
  translate: {
    label: (language) => `Translate to ${language}`,
    prompt: (language) => `Translate the following text into ${language}. Reply with the translation only.`,
  },
  'fix-grammar': {
    label: () => 'Fix grammar',
    prompt: () => 'Fix the grammar and spelling of the following text, keeping its meaning and tone. Reply with the corrected text only.',
  },
};

/** The actions offered for clipboard text, built-in first, then the user's templates. */
export function clipboardActions(settings: Pick<AppSettings, 'translateTo' | 'promptTemplates'>): ClipboardAction[] {
  const builtIn = (Object.keys(BUILT_IN) as BuiltInAction[]).map((id) => ({ id, label: BUILT_IN[id].label(settings.translateTo) }));
  return [...builtIn, ...settings.promptTemplates.map((template) => ({ id: `template:${template.id}`, label: template.name }))];
}

export interface ClipboardPrompt {
  text: string;
  /** The clipboard held more than fits in one message; this many characters of it were sent. */
  truncatedTo: number | null;
}

const FENCE = '"""';

/**
 * The message sent for clipboard text: an action's instruction (or the user's own words), then
 * the text between quotes. A template's `{text}` is replaced by the text (else it goes below);
 * `{language}` by the translation language. Long clipboard text is cut to fit one message.
 */
export function clipboardPrompt(
  action: { actionId: string } | { instruction: string },
  clipboard: string,
  settings: Pick<AppSettings, 'translateTo' | 'promptTemplates'>,
): ClipboardPrompt {
  const language = settings.translateTo;
  let template: string;
  if ('instruction' in action) {
    template = action.instruction.trim();
  } else if (action.actionId.startsWith('template:')) {
    const found: PromptTemplate | undefined = settings.promptTemplates.find((entry) => `template:${entry.id}` === action.actionId);
    template = found?.prompt ?? BUILT_IN.summarise.prompt(language);
  } else {
    template = (BUILT_IN[action.actionId as BuiltInAction] ?? BUILT_IN.summarise).prompt(language);
  }
  template = template.replaceAll('{language}', language);
  const inline = template.includes('{text}');
  const frame = (text: string): string => (inline ? template.replaceAll('{text}', text) : `${template}\n\n${FENCE}\n${text}\n${FENCE}`);
  const occurrences = inline ? template.split('{text}').length - 1 : 1;
  const room = Math.floor((MAX_MESSAGE_CHARS - frame('').length) / occurrences);
  const text = clipboard.trim();
  if (text.length <= room) return { text: frame(text), truncatedTo: null };
  const cut = Math.max(0, room - 1);
  return { text: frame(`${text.slice(0, cut)}…`), truncatedTo: cut };
}
