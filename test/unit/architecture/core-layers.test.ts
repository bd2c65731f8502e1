/**
 * ARCHITECTURE.md: folders inside src/core import one way (gguf and process at the bottom, then
 * store, engine, models, documents, then the handlers on top), and no folder imports one that
 * imports it back, not even for types. Files at the root of src/core (assistant.ts, the top)
 * count as one more folder, so a folder importing the root is a cycle too. Lint keeps core from
 * importing the layers above it; this keeps its folders from tangling.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { findProjectRoot } from '../../../src/core/process/project-root';

const ROOT_FOLDER = '(root)';
const projectRoot = findProjectRoot();
const coreDir = join(projectRoot, 'src', 'core');
/** Where core may reach outside itself: the pure shared layer, and the data files it bundles (the model catalog). */
const allowedOutside = [join(projectRoot, 'src', 'shared'), join(projectRoot, 'data')];

/** Every .ts file below `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The top-level folder of src/core a path lies in, ROOT_FOLDER for files at the root, null outside src/core. */
function folderOf(path: string): string | null {
  const parts = relative(coreDir, path).split(sep);
  if (parts[0] === '..') return null;
  return parts.length > 1 ? (parts[0] ?? ROOT_FOLDER) : ROOT_FOLDER;
}

interface Edge {
  from: string;
  to: string;
  /** One file and specifier that makes the edge, for the failure message. */
  example: string;
}

/** Folder-level edges of src/core: static, type-only, re-export and dynamic imports alike. */
function coreImports(): { edges: Edge[]; leaving: string[] } {
  const edges = new Map<string, Edge>();
  const leaving: string[] = [];
  for (const file of sourceFiles(coreDir)) {
    const from = folderOf(file) ?? ROOT_FOLDER;
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      const to = folderOf(target);
      const where = `${relative(coreDir, file)} → ${specifier}`;
      if (to === null) {
        if (allowedOutside.some((dir) => !relative(dir, target).startsWith('..'))) continue;
        leaving.push(where);
      } else if (to !== from && !edges.has(`${from}→${to}`)) {
        edges.set(`${from}→${to}`, { from, to, example: where });
      }
    }
  }
  return { edges: [...edges.values()], leaving };
}

/** Strongly connected components with more than one folder (Tarjan): each is a cycle. */
function folderCycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const nodes = [...new Set(edges.flatMap(({ from, to }) => [from, to]))];
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) ?? 0);
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(target) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (;;) {
      const member = stack.pop() ?? node;
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return cycles;
}

describe('the folders of src/core', () => {
  it('import one way: no cycle between folders, or between a folder and the root', () => {
    const { edges } = coreImports();
    const cycles = folderCycles(edges).map((members) => ({
      folders: members,
      edges: edges.filter(({ from, to }) => members.includes(from) && members.includes(to)).map(({ from, to, example }) => `${from} → ${to} (${example})`),
    }));
    expect(cycles).toEqual([]);
  });

  it('keep only the top, assistant.ts, at the root', () => {
    const atRoot = sourceFiles(coreDir).filter((file) => folderOf(file) === ROOT_FOLDER).map((file) => relative(coreDir, file));
    expect(atRoot).toEqual(['assistant.ts']);
  });

  it('import nothing outside src/core but src/shared and data files (dynamic imports included)', () => {
    expect(coreImports().leaving).toEqual([]);
  });

  it('finds cycles of any length, and none in a one-way graph', () => {
    const edge = (from: string, to: string): Edge => ({ from, to, example: '' });
    expect(folderCycles([edge('store', 'gguf'), edge('engine', 'store'), edge('models', 'engine')])).toEqual([]);
    expect(folderCycles([edge('a', 'b'), edge('b', 'a')])).toEqual([['a', 'b']]);
    expect(folderCycles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd')])).toEqual([['a', 'b', 'c']]);
    expect(folderCycles([edge(ROOT_FOLDER, 'chat'), edge('chat', ROOT_FOLDER)])).toEqual([[ROOT_FOLDER, 'chat']]);
  });
});
