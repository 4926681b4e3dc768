/**
 * Peak resident memory of the harness (this process) and of the bot's process tree, in MB
 * (1 MB = 1024 * 1024 bytes), for `callreplay load`.
 */
import { readdirSync, readFileSync } from 'node:fs';

const KB_PER_MB = 1024;

/** The harness's own peak RSS: getrusage's ru_maxrss (kilobytes on Linux). */
export function harnessPeakRssMb(): number {
  return round1(process.resourceUsage().maxRSS / KB_PER_MB);
}

/**
 * The bot's peak RSS: VmHWM from /proc/<pid>/status of the main process of the tree rooted at
 * `rootPid` (the started command, e.g. `sh -c "node bot.js"`). The main process is the one of the
 * tree (root and descendants) with the highest VmHWM, so a shell wrapper or a launcher (npx, dotnet
 * run) does not stand for the bot. Read it while the bot still runs; undefined when /proc cannot
 * tell (not Linux, or the process has gone).
 */
export function botPeakRssMb(rootPid: number): number | undefined {
  const tree = [rootPid, ...descendantsOf(rootPid)];
  let peakKb: number | undefined;
  for (const pid of tree) {
    const kb = vmHwmKb(pid);
    if (kb !== undefined && (peakKb === undefined || kb > peakKb)) peakKb = kb;
  }
  return peakKb === undefined ? undefined : round1(peakKb / KB_PER_MB);
}

function vmHwmKb(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Every descendant of `root`, from the parent pids in /proc/<pid>/stat. */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    for (const child of children.get(todo.pop()!) ?? []) {
      out.push(child);
      todo.push(child);
    }
  }
  return out;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
