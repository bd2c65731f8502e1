/**
 * What a launch asks for on its command line. `--quick` (e.g. `burrow --quick`, bound to a key
 * in the desktop's own keyboard settings where global shortcuts fail, as on some Wayland
 * sessions) opens the quick window; `--background` (launch at login) starts in the tray.
 * A second launch hands these to the running Burrow as the single-instance lock's data: Chromium
 * may reorder a second instance's switches, the data arrives as it was sent.
 */
export interface LaunchRequest {
  quick: boolean;
  background: boolean;
}

export function parseLaunchArgs(argv: readonly string[]): LaunchRequest {
  return { quick: argv.includes('--quick'), background: argv.includes('--background') };
}

/** The request a second instance sent: its lock data when it is ours, else its argv. */
export function launchRequestFrom(argv: readonly string[], additionalData: unknown): LaunchRequest {
  if (typeof additionalData === 'object' && additionalData !== null && 'quick' in additionalData && 'background' in additionalData) {
    const { quick, background } = additionalData as Record<string, unknown>;
    if (typeof quick === 'boolean' && typeof background === 'boolean') return { quick, background };
  }
  return parseLaunchArgs(argv);
}
