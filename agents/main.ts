/**
 * The multi-call entry of the single executable: it serves every agent (and the mfs-crm
 * generator) by the name it was called by, so that one binary with a link per name is
 * installed. Each program is loaded only when called: a monitor must not pay for the rest.
 * The agents come from registry.ts, which the generator uses too: neither depends on the other
 * through this entry, which nothing imports.
 *
 *   /usr/lib/ocf/resource.d/mfs/mfsmaster monitor     (a link to the binary)
 *   mfs-ocf mfsmaster monitor                         (the binary itself)
 */
import { basename } from 'node:path';
import { AGENT_NAMES, loadAgent, type AgentName } from './registry.js';

interface Program {
  /** `agent`: installed as /usr/lib/ocf/resource.d/mfs/<name>; `tool`: on PATH. */
  kind: 'agent' | 'tool';
  load(): Promise<(args: string[]) => Promise<number>>;
}

const agent = (name: AgentName): Program => ({
  kind: 'agent',
  async load() {
    const [definition, { runAgent }] = await Promise.all([loadAgent(name), import('../lib/ocf/agent.js')]);
    return (args) => runAgent(definition, args, process.env);
  },
});

/** Every program of the binary: the one list the build and the packages take their links from. */
export const PROGRAMS: Record<string, Program> = {
  ...Object.fromEntries(AGENT_NAMES.map((name) => [name, agent(name)])),
  'mfs-crm': { kind: 'tool', load: async () => (await import('../crm-snippets/cli.js')).main },
};

export const MULTI_CALL_NAME = 'mfs-ocf';

async function main(): Promise<number> {
  // In a single executable argv[1] is the path it was called by; under node, the script.
  const calledAs = basename(process.argv[1] ?? '').replace(/\.(c?js|ts)$/, '');
  let name = calledAs;
  let args = process.argv.slice(2);
  if (!PROGRAMS[name]) {
    name = args[0] ?? '';
    args = args.slice(1);
  }
  if (name === '--programs') {
    // For the build and the packages: which links to make.
    process.stdout.write(`${JSON.stringify(Object.entries(PROGRAMS).map(([program, { kind }]) => ({ name: program, kind })))}\n`);
    return 0;
  }
  const program = PROGRAMS[name];
  if (!program) {
    process.stderr.write(`usage: ${MULTI_CALL_NAME} {${Object.keys(PROGRAMS).join('|')}} ARGS..., or call it by one of those names\n`);
    return 2;
  }
  return (await program.load())(args);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ocf-exit-reason:unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
