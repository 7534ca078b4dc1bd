/**
 * Deterministic pseudo-random numbers (splitmix32) for everything Linux or
 * Docker would pick at random: container ids, veth names, host-side MACs, TCP
 * initial sequence numbers, ephemeral ports. Same seed, same choices.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + (this.nextUint32() % (max - min + 1));
  }

  hex(digits: number): string {
    let s = "";
    while (s.length < digits) s += this.nextUint32().toString(16).padStart(8, "0");
    return s.slice(0, digits);
  }

  /** A locally administered unicast MAC, as the kernel picks for a new veth (eth_random_addr). */
  mac(): string {
    const b = [this.int(0, 255), this.int(0, 255), this.int(0, 255), this.int(0, 255), this.int(0, 255), this.int(0, 255)];
    b[0] = (b[0]! & 0xfe) | 0x02;
    return b.map((x) => x.toString(16).padStart(2, "0")).join(":");
  }

  /** Saves and restores the generator, so a dry run (a grading probe) can leave no trace. */
  snapshot(): number {
    return this.state;
  }
  restore(state: number): void {
    this.state = state >>> 0;
  }
}
