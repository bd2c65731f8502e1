import { createContext } from 'svelte';
import type { Downloads } from './downloads.svelte';
import type { Library } from './library.svelte';
import type { ModelImporter } from './model-import.svelte';
import type { ViewState } from './view.svelte';

export const [useLibrary, setLibrary] = createContext<Library>();
export const [useDownloads, setDownloads] = createContext<Downloads>();
export const [useImporter, setImporter] = createContext<ModelImporter>();
export const [useView, setView] = createContext<ViewState>();
