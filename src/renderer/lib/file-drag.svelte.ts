/**
 * Files dragged over a whole window: counts enter/leave pairs (they fire for every child the
 * pointer crosses) so `dragging` is true from the first enter to the last leave or the drop,
 * and keeps the browser from opening a dropped file itself. Dragged text is left alone.
 * A drop an element on the page took already (it called preventDefault, as the Adapters section
 * of a model does) ends the drag without handing the files over again.
 * Put each of `handlers` on <svelte:window> (it takes no spread).
 */
export class FileDrag {
  #depth = $state(0);
  readonly handlers: {
    ondragenter: (event: DragEvent) => void;
    ondragover: (event: DragEvent) => void;
    ondragleave: (event: DragEvent) => void;
    ondrop: (event: DragEvent) => void;
  };

  /** `onenter` sees the first enter of a drag (what it carries); `ondrop` gets the dropped files. */
  constructor(ondrop: (files: File[]) => void, onenter: (event: DragEvent) => void = () => undefined) {
    this.handlers = {
      ondragenter: (event) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        if (this.#depth === 0) onenter(event);
        this.#depth += 1;
      },
      ondragover: (event) => {
        if (!carriesFiles(event)) return;
        // Without this the browser opens the file instead of dropping it here.
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      },
      ondragleave: (event) => {
        if (carriesFiles(event)) this.#depth = Math.max(0, this.#depth - 1);
      },
      ondrop: (event) => {
        if (!carriesFiles(event)) return;
        const taken = event.defaultPrevented;
        event.preventDefault();
        this.#depth = 0;
        if (taken) return;
        const files = [...(event.dataTransfer?.files ?? [])];
        if (files.length > 0) ondrop(files);
      },
    };
  }

  get dragging(): boolean {
    return this.#depth > 0;
  }
}

function carriesFiles(event: DragEvent): boolean {
  return event.dataTransfer?.types.includes('Files') ?? false;
}
