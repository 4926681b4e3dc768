/** The options of `callreplay record` and their checks. Light: the parser loads it for `record` only. */
import type { Argv } from 'yargs';
import { DEFAULT_UPSTREAMS } from '../record/upstreams.js';
import { checkPort, checkReadyTimeout, checkWayOptions, wayOptions } from './way-options.js';

/** The ways-in options but --tenant: a recording relays the real call, whose tenant it keeps. */
const { tenant: _tenant, ...recordWayOptions } = wayOptions;

export function recordOptions<T>(y: Argv<T>) {
  return y
    .option('out', { type: 'string', demandOption: true, describe: 'the flow file to write, e.g. recordings/my-call.yaml' })
    .option('force', { type: 'boolean', default: false, describe: 'overwrite --out if it exists' })
    .option('bot-url', { type: 'string', describe: "the bot's calling webhook on loopback (its origin gets the notifications), e.g. http://127.0.0.1:3978/api/calls" })
    .option('bot-command', { type: 'string', describe: "command that starts the bot; it gets the environment of `callreplay env` pointing at the recorder's ways in" })
    .option('webhook-path', { type: 'string', default: '/api/calls', describe: 'where callreplay waits for a bot started with --bot-command and no --bot-url to answer (notifications keep the path they came in on)' })
    .option('ready-timeout', { type: 'number', default: 15000, describe: 'ms to wait for a started bot to answer' })
    .option('listen', { type: 'number', describe: "port on 127.0.0.1 for Graph's notifications: the bot's registered callback URL (your tunnel) points here (default: a free port, printed)" })
    .option('upstream', { type: 'string', describe: `Graph to relay the bot's requests to (default ${DEFAULT_UPSTREAMS.graph})` })
    .option('upstream-login', { type: 'string', describe: `login endpoint to relay token requests to (default ${DEFAULT_UPSTREAMS.login})` })
    .option('upstream-auth', { type: 'string', describe: `host of the notification signing keys (default ${DEFAULT_UPSTREAMS.auth})` })
    .option('until-idle', { type: 'number', describe: 'end after this many seconds without traffic (counted from the first exchange); default: on Ctrl-C only' })
    .option('keep', { type: 'string', array: true, default: [] as string[], describe: 'a field the scrubber keeps as recorded; repeatable' })
    .options(recordWayOptions)
    .check(checkWayOptions)
    .check(checkReadyTimeout)
    .check((a) => {
      checkPort('listen', a.listen);
      if (a['until-idle'] !== undefined && !(Number.isFinite(a['until-idle']) && a['until-idle'] > 0)) throw new Error(`--until-idle must be a positive number of seconds, got ${String(a['until-idle'])}`);
      return true;
    });
}
