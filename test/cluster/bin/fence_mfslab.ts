/**
 * Fence agent for the lab's power switch (bin/lab-switch.ts), in the fence-agents interface
 * that pacemaker-fenced uses: options as `key=value` lines on stdin (or `-o ACTION` and
 * `--plug NODE` on the command line), actions off/on/reboot/status/list/monitor/metadata.
 * Exit codes: 0 success (status: on), 2 status off, 1 failure.
 */
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';

function options(): Record<string, string> {
  const parsed: Record<string, string> = {};
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if ((arg === '-o' || arg === '--action') && args[i + 1]) parsed.action = args[++i]!;
    else if ((arg === '-n' || arg === '--plug') && args[i + 1]) parsed.plug = args[++i]!;
    else if (arg.startsWith('--action=')) parsed.action = arg.slice(9);
    else if (arg.startsWith('--plug=')) parsed.plug = arg.slice(7);
  }
  if (args.length === 0 && !process.stdin.isTTY) {
    for (const line of readFileSync(0, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0 && !line.startsWith('#')) parsed[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
  }
  return parsed;
}

const METADATA = `<?xml version="1.0" ?>
<resource-agent name="fence_mfslab" shortdesc="Fence agent for the mfs-ocf lab power switch">
<longdesc>Cuts (off) or restores (on) the power of a namespace node of the mfs-ocf lab cluster through its network power switch.</longdesc>
<vendor-url>https://clusterlabs.org</vendor-url>
<parameters>
  <parameter name="action" unique="0" required="1"><getopt mixed="-o, --action=[action]" /><content type="string" default="reboot" /><shortdesc lang="en">Fencing action</shortdesc></parameter>
  <parameter name="ip" unique="0" required="0"><getopt mixed="-a, --ip=[ip]" /><content type="string" default="10.78.0.254" /><shortdesc lang="en">Switch address</shortdesc></parameter>
  <parameter name="ipport" unique="0" required="0"><getopt mixed="-u, --ipport=[port]" /><content type="integer" default="7777" /><shortdesc lang="en">Switch TCP port</shortdesc></parameter>
  <parameter name="plug" unique="0" required="0" obsoletes="port"><getopt mixed="-n, --plug=[id]" /><content type="string" /><shortdesc lang="en">Node to act on</shortdesc></parameter>
  <parameter name="port" unique="0" required="0" deprecated="1"><getopt mixed="-n, --plug=[id]" /><content type="string" /><shortdesc lang="en">Node to act on</shortdesc></parameter>
</parameters>
<actions>
  <action name="on" automatic="0"/>
  <action name="off" />
  <action name="reboot" />
  <action name="status" />
  <action name="list" />
  <action name="monitor" />
  <action name="metadata" />
  <action name="validate-all" />
</actions>
</resource-agent>
`;

function ask(host: string, port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let reply = '';
    socket.setTimeout(25_000, () => {
      socket.destroy();
      reject(new Error('the switch did not answer'));
    });
    socket.on('data', (chunk) => (reply += chunk.toString()));
    socket.on('end', () => resolve(reply.trim()));
    socket.on('error', reject);
    socket.connect(port, host, () => socket.write(`${request}\n`));
  });
}

async function main(): Promise<number> {
  const opts = options();
  const action = opts.action ?? opts.option ?? 'reboot';
  if (action === 'metadata') {
    process.stdout.write(METADATA);
    return 0;
  }
  if (action === 'validate-all') return 0;
  const host = opts.ip ?? opts.ipaddr ?? '10.78.0.254';
  const port = Number(opts.ipport ?? 7777);
  const plug = opts.plug ?? opts.port ?? opts.nodename ?? '';
  const say = (request: string) => ask(host, port, request);
  if (action === 'list') {
    process.stdout.write(`${(await say('list')).split(',').map((entry) => entry.split(' ')[0]).join('\n')}\n`);
    return 0;
  }
  if (action === 'monitor') return (await say('list')).startsWith('ERR') ? 1 : 0;
  if (!plug) {
    process.stderr.write('fence_mfslab: no plug (node) given\n');
    return 1;
  }
  if (action === 'status') {
    const state = await say(`status ${plug}`);
    process.stdout.write(`Status: ${state.toUpperCase()}\n`);
    return state === 'on' ? 0 : state === 'off' ? 2 : 1;
  }
  // Reboot: the node is off when the switch answers; it boots again later, as a server does.
  if (action === 'off' || action === 'reboot') return (await say(`${action} ${plug}`)) === 'off' ? 0 : 1;
  if (action === 'on') return (await say(`on ${plug}`)) === 'on' ? 0 : 1;
  process.stderr.write(`fence_mfslab: unknown action ${action}\n`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`fence_mfslab: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
