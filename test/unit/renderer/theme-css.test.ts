import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProjectRoot } from '../../../src/core/process/project-root';

const root = findProjectRoot();
const read = (file: string): string => readFileSync(join(root, 'src', 'renderer', file), 'utf8');

/** The custom properties (name → value) declared in a block of CSS. */
function tokens(block: string): Map<string, string> {
  return new Map([...block.matchAll(/(--[a-z0-9-]+)\s*:\s*([^;]+);/g)].map((match) => [match[1]!, match[2]!.trim()]));
}

describe('theme.css', () => {
  it('forces exactly the dark tokens app.css uses for a dark system, and every light token is redefined', () => {
    const app = read('app.css');
    const darkSystem = /@media \(prefers-color-scheme: dark\) \{\s*:root:not\(\[data-theme='light'\]\) \{([^}]*)\}/.exec(app)?.[1];
    const forcedDark = /:root\[data-theme='dark'\] \{([^}]*)\}/.exec(read('theme.css'))?.[1];
    expect(darkSystem).toBeDefined();
    expect(forcedDark).toBeDefined();
    expect(tokens(forcedDark!)).toEqual(tokens(darkSystem!));
    const light = tokens(/:root \{([^}]*)\}/.exec(app)![1]!);
    for (const name of tokens(darkSystem!).keys()) expect(light.has(name), name).toBe(true);
  });
});
