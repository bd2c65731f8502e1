/** The model chip's menu (one chip is on screen at a time: the chat header's or the Models view's). */
export const MODEL_MENU_ID = 'model-menu';

/** Opens the model menu, where the models on this computer can be chosen; already open, it moves the focus to a model not loaded. */
export function openModelMenu(): void {
  const menu = document.getElementById(MODEL_MENU_ID);
  if (menu === null) return;
  if (!menu.matches(':popover-open')) menu.showPopover();
  else menu.querySelector<HTMLButtonElement>('[data-testid="model-choice"]:not([aria-current="true"])')?.focus();
}

/** The folder a model's file was in, from its path and file name (no Node path module in the renderer). */
export function folderOf(path: string, fileName: string): string {
  const folder = path.endsWith(fileName) ? path.slice(0, path.length - fileName.length) : path;
  return folder.length > 1 ? folder.replace(/[\\/]$/, '') : folder;
}
