/**
 * The log key of an event: (site, visitor), so one visitor's events stay in one partition.
 * NUL cannot occur in a site id (sites are validated), so the pair is unambiguous whatever the
 * visitor id holds.
 */
export function visitorKey(site: string, visitor: string): string {
  return `${site}\u0000${visitor}`;
}
