/** The availability zone for the replica with `azIndex`: the zones other than the primary's first, in turn. */
export function replicaZone(
  zones: string[],
  primaryZone: string | undefined,
  azIndex: number,
): string | undefined {
  if (zones.length === 0) return undefined;
  const order = [...zones.filter((z) => z !== primaryZone), ...zones.filter((z) => z === primaryZone)];
  return order[azIndex % order.length];
}
