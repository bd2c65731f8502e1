/**
 * The contract's schemas for preferences, the quick prompt and the desktop shell.
 * Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { checkAccelerator } from '../accelerator';
import {
  MAX_ANSWER_TOKENS,
  MAX_DEFAULT_SYSTEM_PROMPT_CHARS,
  MAX_LANGUAGE_CHARS,
  MAX_PROMPT_TEMPLATES,
  MAX_TEMPLATE_NAME_CHARS,
  MAX_TEMPLATE_PROMPT_CHARS,
  MAX_SAVED_STATE_BUDGET_MB,
  MAX_THREADS_SETTING,
} from '../app-settings';
import { MAX_CONTEXT_OVERRIDE, MAX_GPU_LAYERS_OVERRIDE, MIN_CONTEXT_OVERRIDE } from '../limits';
import { Id } from './common';

/** An Electron accelerator such as "CommandOrControl+Shift+Space" (see accelerator.ts). */
export const Accelerator = z
  .string()
  .max(100)
  .superRefine((value, context) => {
    const checked = checkAccelerator(value);
    if (!checked.ok) context.addIssue({ code: 'custom', message: checked.message });
  });

export const Theme = z.enum(['system', 'light', 'dark']);
export type Theme = z.infer<typeof Theme>;

/** One of the user's own "Use clipboard" actions. */
export const PromptTemplate = z.strictObject({
  id: Id,
  name: z.string().trim().min(1, 'must not be empty').max(MAX_TEMPLATE_NAME_CHARS),
  /** What to ask. `{text}` stands for the clipboard's text (put below when absent), `{language}` for translateTo. */
  prompt: z.string().trim().min(1, 'must not be empty').max(MAX_TEMPLATE_PROMPT_CHARS),
});
export type PromptTemplate = z.infer<typeof PromptTemplate>;

/**
 * Burrow's preferences (settings view), stored in the SQLite settings table. Engine fields:
 * null is Burrow's (or the model's) own choice; a conversation's own settings win over them.
 */
export const AppSettings = z.strictObject({
  /** The global shortcut that shows the quick-prompt window. */
  shortcut: Accelerator,
  shortcutEnabled: z.boolean(),
  /** 'system' follows the operating system's light or dark appearance. */
  theme: Theme,
  /** Put before every conversation that has no system prompt of its own; '' for none. */
  systemPrompt: z.string().max(MAX_DEFAULT_SYSTEM_PROMPT_CHARS),
  temperature: z.number().min(0).max(2).nullable(),
  topP: z.number().min(0).max(1).nullable(),
  /** Longest answer, in tokens. Default 1024. */
  maxTokens: z.number().int().min(1).max(MAX_ANSWER_TOKENS).nullable(),
  /** Tokens per conversation the model keeps in mind (load-time: reloads the model). Default: the model's, up to 4096. */
  contextSize: z.number().int().min(MIN_CONTEXT_OVERRIDE).max(MAX_CONTEXT_OVERRIDE).nullable(),
  /** Layers on the GPU (load-time). Default: as many as fit. A model's own override wins. */
  gpuLayers: z.number().int().min(0).max(MAX_GPU_LAYERS_OVERRIDE).nullable(),
  /** CPU threads (load-time). Default: the cores Burrow may use. */
  threads: z.number().int().min(1).max(MAX_THREADS_SETTING).nullable(),
  /** Disk room for conversations' saved evaluation state, in MB (load-time); 0 saves none. Default 2 048. */
  savedStateBudgetMB: z.number().int().min(0).max(MAX_SAVED_STATE_BUDGET_MB).nullable(),
  /** Start Burrow (in the tray) when the user logs in. Off by default. */
  launchAtLogin: z.boolean(),
  /** Esc in the quick window also stops an answer being written (else it keeps going, saved). */
  escCancelsQuickAnswer: z.boolean(),
  /** Quick-prompt conversations are kept in the history; when false they are deleted once dismissed. */
  saveQuickPrompts: z.boolean(),
  /** The language of the "Translate" clipboard action, as the model should read it ("French"). */
  translateTo: z.string().trim().min(1, 'must not be empty').max(MAX_LANGUAGE_CHARS),
  promptTemplates: z.array(PromptTemplate).max(MAX_PROMPT_TEMPLATES),
  /** Offline mode: nothing leaves the machine, not even a model download the user asks for. */
  offlineMode: z.boolean(),
});
export type AppSettings = z.infer<typeof AppSettings>;

/** Fields left out keep their value. */
export const SettingsPatch = AppSettings.partial();
export type SettingsPatch = z.infer<typeof SettingsPatch>;

/**
 * The quick-prompt shortcut as the desktop shell managed to set it up. 'conflict': another app
 * holds it (offer another). 'unavailable': this host has no global shortcuts (the browser host),
 * or the system refused (some Wayland sessions): the tray and `burrow --quick` still work.
 */
export const ShortcutState = z.enum(['registered', 'off', 'conflict', 'unavailable']);
export type ShortcutState = z.infer<typeof ShortcutState>;

export const SettingsStatus = z.strictObject({
  shortcut: z.strictObject({
    state: ShortcutState,
    accelerator: z.string(),
    /** What went wrong and what to do next; null when registered or off. */
    message: z.string().nullable(),
  }),
  /** The host can show the data folder in the system's file manager (the app can; the browser host cannot). */
  canRevealDataFolder: z.boolean(),
  /** The host can start Burrow at login (the app can). */
  canLaunchAtLogin: z.boolean(),
});
export type SettingsStatus = z.infer<typeof SettingsStatus>;

export const DataFolder = z.strictObject({
  path: z.string(),
  /** Everything in it: the database, its backups and the models folder. */
  sizeBytes: z.number().int().nonnegative(),
  /** Of which conversations' saved evaluation state (reopening them needs no re-reading). */
  savedStateBytes: z.number().int().nonnegative(),
  modelsFolder: z.string(),
  canReveal: z.boolean(),
});
export type DataFolder = z.infer<typeof DataFolder>;

/**
 * Commands for the main window's UI from the app menu, the tray or the quick window.
 * 'open-conversation' carries the conversation; windows ignore commands they have no use for.
 */
export const UiCommandName = z.enum(['new-chat', 'settings', 'search', 'open-conversation', 'shortcuts']);
export type UiCommandName = z.infer<typeof UiCommandName>;
export const UiCommand = z.strictObject({ command: UiCommandName, conversationId: Id.optional() });
export type UiCommand = z.infer<typeof UiCommand>;

export const QuickDismissed = z.strictObject({
  /** The host hid the window. false in the browser host, where the page shows its own closed state. */
  hidden: z.boolean(),
  /** A running answer was stopped (Esc with "Esc stops the answer", or a conversation not to be saved). */
  cancelled: z.boolean(),
  /** The conversation was deleted ("Don't save quick prompts"). */
  deleted: z.boolean(),
});
export type QuickDismissed = z.infer<typeof QuickDismissed>;
