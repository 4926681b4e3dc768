/** The flow the benchmarks replay: `n` rounds of a notification and the keepAlive the bot sends in reaction. */
export function pingPongFlow(n: number): string {
  const steps: string[] = [];
  for (let i = 0; i < n; i++) {
    steps.push(`  - notify: { name: n${i}, body: { value: [ { changeType: updated, resourceUrl: '/communications/calls/\${call}', resourceData: { state: established } } ] } }`);
    steps.push(`  - expect: { name: k${i}, method: POST, path: '/v1.0/communications/calls/\${call}/keepAlive', respond: { status: 200 } }`);
  }
  return `callreplay: 1\nname: bench\ndescription: bench\nquiet: 0\nids: [call]\nsteps:\n${steps.join('\n')}\n`;
}
