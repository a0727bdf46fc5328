/**
 * The layers, checked over the import statements of the source tree (static, dynamic, re-exports;
 * type-only imports count too: they are dependencies of the reader):
 *
 *   lib/runtime                          deadline, logging, errors with a kind: imports no other lib/
 *   lib/process                          child processes, /proc: over lib/runtime only
 *   lib/moosefs, drbd, pacemaker, system the domain: never lib/ocf/exit-codes (they throw Failures),
 *                                        of lib/ocf only the parameter declarations overrides name
 *   lib/ocf                              the OCF layer: maps kinds and statuses to exit codes
 *   agents/<name>/agent.ts               declarations and wiring; never the generator or main.ts
 *   crm-snippets/                        the generator: reads agents' declarations, never main.ts
 *
 * and no import cycle anywhere in lib/ (nor in the whole tree).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SOURCES = ['lib', 'agents', 'crm-snippets', 'packaging'];
const IMPORT = /(?:^|[^\w.])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function files(directory: string): string[] {
  return readdirSync(join(ROOT, directory), { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return files(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Each source file (relative to the repository) and the source files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of SOURCES.flatMap(files)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const targets: string[] = [];
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      if (!specifier.startsWith('.')) continue; // a package
      targets.push(relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts'));
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the files along it. */
function cycles(graph: Map<string, string[]>, within: (file: string) => boolean): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of (graph.get(file) ?? []).filter(within)) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].filter(within)) if (!state.has(file)) visit(file);
  return found;
}

const GRAPH = importGraph();
const under = (...folders: string[]) => (file: string) => folders.some((folder) => file.startsWith(`${folder}/`));

/** The imports of the files `from` selects that `to` selects, as `from -> to` lines. */
function imports(from: (file: string) => boolean, to: (file: string) => boolean): string[] {
  return [...GRAPH].filter(([file]) => from(file)).flatMap(([file, targets]) => targets.filter(to).map((target) => `${file} -> ${target}`));
}

describe('layers', () => {
  it('reads the imports it checks (the walk is not vacuous)', () => {
    expect(GRAPH.get('lib/ocf/agent.ts')).toContain('lib/runtime/deadline.ts');
    expect(GRAPH.get('agents/main.ts')).toEqual(expect.arrayContaining(['agents/registry.ts', 'crm-snippets/cli.ts']));
    expect(GRAPH.get('agents/registry.ts')).toContain('agents/mfsmaster/agent.ts'); // a dynamic import
    expect(GRAPH.size).toBeGreaterThan(60);
  });

  it('finds a cycle where there is one', () => {
    const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(cycles(graph, () => true)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('no import cycle in lib/, nor in the whole tree', () => {
    expect(cycles(GRAPH, under('lib')).map((cycle) => cycle.join(' -> '))).toEqual([]);
    expect(cycles(GRAPH, () => true).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('lib/runtime imports nothing else of lib/; lib/process only lib/runtime', () => {
    expect(imports(under('lib/runtime'), (target) => !target.startsWith('lib/runtime/'))).toEqual([]);
    expect(imports(under('lib/process'), (target) => !under('lib/runtime', 'lib/process')(target))).toEqual([]);
  });

  it('no domain module (nor process control, nor the runtime base) imports the OCF exit codes', () => {
    const domain = under('lib/moosefs', 'lib/drbd', 'lib/pacemaker', 'lib/system', 'lib/process', 'lib/runtime');
    expect(imports(domain, (target) => target === 'lib/ocf/exit-codes.ts')).toEqual([]);
    // nor anything else of the OCF layer, but the parameter declarations that an override names
    // (lib/moosefs/election-parameters.ts declares each override beside its parameter)
    expect(imports(domain, (target) => target.startsWith('lib/ocf/') && target !== 'lib/ocf/parameters.ts')).toEqual([]);
    expect(imports(domain, (target) => target === 'lib/ocf/parameters.ts')).toEqual(['lib/moosefs/election-parameters.ts -> lib/ocf/parameters.ts']);
  });

  it('agents and the generator do not depend on each other through the multi-call entry', () => {
    expect(imports(() => true, (target) => target === 'agents/main.ts')).toEqual([]);
    // main.ts itself serves the generator too: it is the one module above both
    expect(imports((file) => under('agents', 'lib')(file) && file !== 'agents/main.ts', under('crm-snippets'))).toEqual([]);
    expect(imports(under('lib'), under('agents'))).toEqual([]);
  });
});
