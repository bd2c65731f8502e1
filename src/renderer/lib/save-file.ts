import type { ExportedFile } from '../../shared/contract';

/** Hands an exported file to the browser's download (a save dialog in the app). */
export function saveFile(file: ExportedFile): void {
  const url = URL.createObjectURL(new Blob([file.content], { type: file.mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = file.fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has taken its copy by the next task; a minute is generous.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Copies text; false when the system refused. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
