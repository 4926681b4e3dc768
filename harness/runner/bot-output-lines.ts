/**
 * What the bot printed during one call, when other calls were in flight: the bot prints for all of
 * them into one output. A line that names an id (a call, a participant, ...) of another call and
 * none of this call's is left out, and the output says how many were; lines naming no id, or this
 * call's, are kept. The left-out lines are in the reports of the calls they name.
 */

/** A GUID, with or without its hyphens (bots print call ids both ways, in any case). */
const ID_IN_TEXT = /\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\b/g;

/** How the filter compares ids: no hyphens, upper case. */
function normalId(id: string): string {
  return id.replace(/-/g, '').toUpperCase();
}

/** The normalised ids a call's transcript named (its idNames: calls, meetings, participants, tenant...). */
export function idsOfCall(idNames: Readonly<Record<string, string>>): Set<string> {
  return new Set(Object.keys(idNames).map(normalId));
}

/**
 * `output` without the lines about other calls. Ids both sides share (a tenant) decide nothing, nor
 * do ids two other calls share: run-wide ones (the tenant) that this call has not named (yet).
 */
export function linesOfCall(output: string, own: ReadonlySet<string>, others: Iterable<ReadonlySet<string>>): string {
  const foreign = new Set<string>();
  const shared = new Set<string>();
  for (const ids of others) for (const id of ids) if (!own.has(id)) (foreign.has(id) ? shared : foreign).add(id);
  for (const id of shared) foreign.delete(id);
  if (foreign.size === 0 || output === '') return output;
  let left = 0;
  const kept = output.split('\n').filter((line) => {
    const ids = (line.match(ID_IN_TEXT) ?? []).map(normalId);
    if (ids.length === 0 || ids.some((id) => own.has(id)) || !ids.some((id) => foreign.has(id))) return true;
    left += 1;
    return false;
  });
  if (left === 0) return output;
  const note = `(${left} line${left === 1 ? '' : 's'} about other calls in flight left out: they are in those calls' own reports)`;
  return `${kept.join('\n').replace(/\n$/, '')}\n${note}\n`;
}
