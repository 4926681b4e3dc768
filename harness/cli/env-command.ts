/**
 * `callreplay env`: the environment a bot started by hand needs, for the same ways in and ports
 * that `callreplay run --bot-url ...` will open (fixed ports, the CA kept in its folder).
 */
import { resolve } from 'node:path';
import { DEFAULT_BOT_APP_ID, DEFAULT_CA_DIR, Harness, type HarnessPorts, type InterceptWay } from '../runner/harness.js';
import { EXIT, resolvePorts } from './run-command.js';

export interface EnvArgs {
  intercept?: InterceptWay[];
  ports: HarnessPorts;
  caDir?: string;
  appId?: string;
  tenant?: string;
  port: number;
  json: boolean;
}

export async function envCommand(args: EnvArgs): Promise<number> {
  // Opening the ways in once checks the ports are free and creates the CA the bot must trust.
  const harness = await Harness.start({
    transport: 'gateway',
    intercept: args.intercept ?? ['gateway'],
    ports: resolvePorts(true, args.ports),
    caDir: resolve(args.caDir ?? DEFAULT_CA_DIR),
    botAppId: args.appId ?? DEFAULT_BOT_APP_ID,
    tenant: args.tenant,
  });
  const env = harness.botEnvironment(args.port);
  await harness.close();
  if (args.json) console.log(JSON.stringify(env, null, 2));
  else for (const [k, v] of Object.entries(env)) console.log(`export ${k}=${shellQuote(v)}`);
  return EXIT.passed;
}

function shellQuote(v: string): string {
  return /^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}
