import { createContext } from 'svelte';
import type { ChatState } from './chat-state.svelte';
import type { DocumentsState } from './documents.svelte';
import type { Engine } from './engine.svelte';
import type { Toasts } from './toasts.svelte';

export const [useChat, setChat] = createContext<ChatState>();
export const [useEngine, setEngine] = createContext<Engine>();
export const [useToasts, setToasts] = createContext<Toasts>();
export const [useDocuments, setDocuments] = createContext<DocumentsState>();
