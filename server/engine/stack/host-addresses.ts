/**
 * The IPv4 addresses held on one host's devices, over all its namespaces,
 * counted (one address may sit on several devices). The namespaces keep it
 * up to date at the same points where they count addresses against the
 * session's quota; Docker's address allocation asks it whether an address is
 * taken instead of walking every namespace and device of the host, which
 * made a thousand `docker run`s on one bridge grow with the square of their
 * number.
 */
export class HostAddresses {
  private readonly counts = new Map<number, number>();
  private removedCount = 0;

  /** How many times an address left a device: Docker's allocation searches from the start again after one. */
  get removals(): number {
    return this.removedCount;
  }

  add(address: number): void {
    this.counts.set(address, (this.counts.get(address) ?? 0) + 1);
  }

  remove(address: number): void {
    this.removedCount++;
    const n = this.counts.get(address) ?? 0;
    if (n <= 1) this.counts.delete(address);
    else this.counts.set(address, n - 1);
  }

  has(address: number): boolean {
    return this.counts.has(address);
  }
}
