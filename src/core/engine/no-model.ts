import { BurrowError } from '../../shared/errors';

/** What anything that needs a loaded model throws when none is; `nextStep` tells the user what to do. */
export function noModelError(nextStep = 'Open a .gguf model file to start chatting.'): BurrowError {
  return new BurrowError('no_model', `No model is loaded. ${nextStep}`);
}
